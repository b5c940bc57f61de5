// STUB for the Kotlin compile check only (see ../../README.md).
package android.os;

public final class Bundle {
    public String getString(String key) { return null; }
}
