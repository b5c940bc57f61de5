// STUB for the Kotlin compile check only (see ../../../../README.md).
package com.google.firebase.messaging;

import com.google.android.gms.tasks.Task;

public class FirebaseMessaging {
    public static FirebaseMessaging getInstance() { return null; }
    public Task<String> getToken() { return null; }
}
