// STUB for the Kotlin compile check only (see ../../../README.md).
package app.tauri.plugin

import android.app.Activity
import android.content.Intent
import android.webkit.WebView

abstract class Plugin(private val activity: Activity) {
    open fun load(webView: WebView) {}
    open fun onNewIntent(intent: Intent) {}
    fun trigger(event: String, payload: JSObject) {}
}

class Invoke {
    fun resolve(data: JSObject?) {}
    fun resolve() {}
    fun reject(msg: String?) {}
}

// The real one extends org.json.JSONObject.
class JSObject {
    fun put(key: String, value: String?): JSObject = this
}
