// STUB for the Kotlin compile check only (see ../../../README.md).
package app.tauri.annotation

@Retention(AnnotationRetention.RUNTIME)
annotation class Command

@Retention(AnnotationRetention.RUNTIME)
annotation class TauriPlugin
