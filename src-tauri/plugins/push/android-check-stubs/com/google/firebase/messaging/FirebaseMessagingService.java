// STUB for the Kotlin compile check only (see ../../../../README.md).
package com.google.firebase.messaging;

public abstract class FirebaseMessagingService {
    public void onNewToken(String token) {}
}
