package app.parkway.push

import android.app.Activity
import android.content.Intent
import android.webkit.WebView
import app.tauri.annotation.Command
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import com.google.firebase.messaging.FirebaseMessaging
import java.lang.ref.WeakReference

/**
 * Parkway's push plugin on Android, driven by the app's Rust (never by the webview):
 * - `token` answers `{token}`, this install's Firebase registration token;
 * - `newToken` is triggered with `{token}` when Firebase replaces it (see [PushService]);
 * - `opened` is triggered with `{data}` when a push is tapped, `data` being the push's data as
 *   the server sent it (JSON text); Rust reads the booking from it, where that can be tested;
 * - `takeOpened` answers the tap that launched the app (or `null`): it came before Rust listened.
 */
@TauriPlugin
class PushPlugin(private val activity: Activity) : Plugin(activity) {
    // A tap that came before Rust listened, and whether it listens yet. Guarded by `this`: taps
    // come on the main thread, `takeOpened` on Tauri's.
    private var heldTap: JSObject? = null
    private var listening = false

    override fun load(webView: WebView) {
        running = WeakReference(this)
        // A push tapped while the app was not running started it with the push in its intent.
        tapped(activity.intent)
    }

    override fun onNewIntent(intent: Intent) {
        // A push tapped while the app was running brings the activity back with a new intent.
        tapped(intent)
    }

    @Command
    fun token(invoke: Invoke) {
        // Firebase answers from its cache, or asks its servers (which needs the network).
        FirebaseMessaging.getInstance().token.addOnCompleteListener { task ->
            val token = if (task.isSuccessful) task.result else null
            if (token != null) {
                val answer = JSObject()
                answer.put("token", token)
                invoke.resolve(answer)
            } else {
                invoke.reject(task.exception?.message ?: "Firebase gave no token")
            }
        }
    }

    @Command
    fun takeOpened(invoke: Invoke) {
        val tap = synchronized(this) {
            listening = true
            val held = heldTap
            heldTap = null
            held
        }
        if (tap != null) invoke.resolve(tap) else invoke.resolve()
    }

    /** Tells Rust about a new token; called by [PushService]. */
    fun newToken(token: String) {
        val payload = JSObject()
        payload.put("token", token)
        trigger("newToken", payload)
    }

    private fun tapped(intent: Intent?) {
        // Firebase opens the app with the push's data keys (`id`, `type`, `data`) as the intent's
        // extras. Another intent (the launcher's, a local notification's) has no `data` string.
        val data = intent?.extras?.getString("data") ?: return
        // An activity recreated with the same intent (a rotation) must not open it again.
        intent.removeExtra("data")
        val tap = JSObject()
        tap.put("data", data)
        val live = synchronized(this) {
            if (!listening) heldTap = tap
            listening
        }
        if (live) trigger("opened", tap)
    }

    companion object {
        /** The loaded plugin, for [PushService], which Android starts on its own. Weak: the
         *  plugin holds the activity, which must be free to go. */
        @Volatile
        var running: WeakReference<PushPlugin>? = null
    }
}
