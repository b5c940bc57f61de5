// STUB for the Kotlin compile check only (see ../../../../../README.md).
package com.google.android.gms.tasks;

public interface OnCompleteListener<TResult> {
    void onComplete(Task<TResult> task);
}
