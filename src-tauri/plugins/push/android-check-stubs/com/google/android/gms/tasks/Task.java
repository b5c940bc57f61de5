// STUB for the Kotlin compile check only (see ../../../../../README.md).
package com.google.android.gms.tasks;

public abstract class Task<TResult> {
    public abstract boolean isSuccessful();
    public abstract TResult getResult();
    public abstract Exception getException();
    public Task<TResult> addOnCompleteListener(OnCompleteListener<TResult> listener) { return this; }
}
