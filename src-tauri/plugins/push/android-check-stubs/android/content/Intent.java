// STUB for the Kotlin compile check only (see ../../README.md).
package android.content;

import android.os.Bundle;

public class Intent {
    public Bundle getExtras() { return null; }
    public void removeExtra(String name) {}
}
