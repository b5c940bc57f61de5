//! The buttons on Parkway's notifications. A stay's "ends in 15 minutes" reminder offers
//! **Extend**; tapping it (or the notification itself) brings the app forward on that booking,
//! with the extend form open for Extend. The webview is told through the `open-booking` event,
//! whose payload is [`OpenBooking`].

use serde::Serialize;
#[cfg(desktop)]
use tauri::Manager;
use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::{Action, ActionPerformed, ActionType, NotificationBuilder, NotificationExt};

/// The action type of reminders that a stay is ending.
pub const STAY_ENDING: &str = "stay-ending";
/// The Extend button's action id.
pub const EXTEND: &str = "extend";
/// The event the webview listens to.
pub const OPEN_BOOKING: &str = "open-booking";

/// Which booking to open, and whether to open its extend form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenBooking {
    /// The booking the notification is about.
    pub booking_id: String,
    /// True when the driver chose Extend.
    pub extend: bool,
}

/// What a performed action asks for: a tap or Extend on a notification about a booking.
pub fn open_request(performed: &ActionPerformed) -> Option<OpenBooking> {
    let extend = match performed.action_id() {
        EXTEND => true,
        "tap" => false,
        _ => return None,
    };
    let booking_id = performed.notification()?.extra().get("bookingId")?.as_str()?.to_owned();
    Some(OpenBooking { booking_id, extend })
}

/// Marks a notification about `booking` as a stay ending soon: it gets the Extend button, and
/// its actions know the booking.
pub fn offer_extend<R: tauri::Runtime>(builder: NotificationBuilder<R>, booking: &str) -> NotificationBuilder<R> {
    builder.action_type_id(STAY_ENDING).extra("bookingId", booking)
}

/// Registers the Extend button and forwards performed actions to the webview. A platform
/// without notification actions only loses the button: the reminder still shows.
pub fn register(app: &AppHandle) {
    let notifications = app.notification();
    let extend = Action::builder(EXTEND, "Extend…").foreground(true).build();
    let types = vec![ActionType::builder(STAY_ENDING).actions(vec![extend]).build()];
    if let Err(e) = notifications.register_action_types(types) {
        tracing::warn!(error = %e, "notification actions are not available here");
        return;
    }
    let handle = app.clone();
    let listened = notifications.on_action(move |performed| {
        let Some(open) = open_request(performed) else { return };
        // On a phone the platform brings the app forward itself (the action is "foreground").
        #[cfg(desktop)]
        if let Some(window) = handle.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
        if let Err(e) = handle.emit(OPEN_BOOKING, &open) {
            tracing::warn!(error = %e, "could not pass a notification action to the window");
        }
    });
    if let Err(e) = listened {
        tracing::warn!(error = %e, "notification actions are not reported here");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn performed(action: &str, extra: serde_json::Value) -> ActionPerformed {
        serde_json::from_value(serde_json::json!({
            "actionId": action,
            "notification": {"id": 7, "extra": extra, "actionTypeId": STAY_ENDING},
        }))
        .expect("an action as the platforms report it")
    }

    #[test]
    fn extend_and_tap_open_the_booking_the_notification_names() {
        let booking = serde_json::json!({"bookingId": "b1"});
        assert_eq!(
            open_request(&performed(EXTEND, booking.clone())),
            Some(OpenBooking { booking_id: "b1".into(), extend: true })
        );
        assert_eq!(
            open_request(&performed("tap", booking.clone())),
            Some(OpenBooking { booking_id: "b1".into(), extend: false })
        );
        assert_eq!(open_request(&performed("dismiss", booking)), None, "a dismissal opens nothing");
        assert_eq!(open_request(&performed(EXTEND, serde_json::json!({}))), None, "nothing to open");
    }
}
