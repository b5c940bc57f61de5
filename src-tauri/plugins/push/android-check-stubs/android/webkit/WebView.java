// STUB for the Kotlin compile check only (see ../../README.md).
package android.webkit;

public class WebView {}
