//! Bookings opened by tapping a push on the phone. Each tap is sent to the webview as the event
//! [`EVENT`] (`push-opened`) with the payload `{"bookingId": "<uuid>"}`. A push names a booking
//! only when its notification is about one; a tap on any other opens the app and nothing more.
//!
//! The tap that launched the app comes before the UI listens, so until the UI first asks for it
//! (the `push_opened_pending` command, right after it starts listening) the latest tap is also
//! held. A tap between the two reaches the UI twice, for the same booking.

use std::sync::{Arc, Mutex};
use tauri_plugin_parkway_push::Opened;

/// The event a tapped push is sent to the webview as.
pub const EVENT: &str = "push-opened";

/// The tap held for a UI that does not listen yet.
#[derive(Debug, Clone, Default)]
pub struct HeldTap(Arc<Mutex<Held>>);

#[derive(Debug, Default)]
struct Held {
    tap: Option<Opened>,
    /// The UI has asked once, so it listens: nothing is held after that.
    asked: bool,
}

impl HeldTap {
    /// A push was tapped.
    pub fn tapped(&self, opened: Opened) {
        if let Ok(mut held) = self.0.lock()
            && !held.asked
        {
            held.tap = Some(opened);
        }
    }

    /// The tap the UI missed, once.
    pub fn take(&self) -> Option<Opened> {
        let mut held = self.0.lock().ok()?;
        held.asked = true;
        held.tap.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn the_tap_before_the_ui_listens_is_held_once_and_later_ones_are_not() {
        let held = HeldTap::default();
        let (first, second) = (Opened { booking_id: Uuid::new_v4() }, Opened { booking_id: Uuid::new_v4() });
        held.tapped(first);
        held.tapped(second);
        assert_eq!(held.take(), Some(second), "the latest tap");
        assert_eq!(held.take(), None, "given once");
        held.tapped(first);
        assert_eq!(held.take(), None, "the UI listens now: the event is enough");
    }
}
