// STUB for the Kotlin compile check only (see ../../README.md).
package android.app;

import android.content.Intent;

public class Activity {
    public Intent getIntent() { return null; }
}
