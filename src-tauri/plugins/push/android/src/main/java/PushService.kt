package app.parkway.push

import com.google.firebase.messaging.FirebaseMessagingService

/**
 * Firebase's callbacks. Only a new token matters here:
 * - while the app is in the background, Firebase shows a push with a `notification` part
 *   itself, and a tap reaches [PushPlugin] through the intent it opens the app with;
 * - while the app is open, its WebSocket already shows every notification, so a push arriving
 *   then (`onMessageReceived`, not overridden) is left unshown rather than shown twice.
 */
class PushService : FirebaseMessagingService() {
    override fun onNewToken(token: String) {
        // The running app registers the new token at once; one not running asks for the token
        // at its next start and registers it then.
        PushPlugin.running?.get()?.newToken(token)
    }
}
