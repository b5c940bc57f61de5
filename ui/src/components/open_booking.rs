use crate::platform;
use crate::route::Route;
use serde::Deserialize;
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;
use yew_router::query::Raw;

/// The app's `open-booking` event: a notification about a booking was tapped, or its Extend
/// button was.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenBooking {
    booking_id: Uuid,
    #[serde(default)]
    extend: bool,
}

/// Where an `open-booking` payload leads: My bookings, with the stay's extend form open for
/// Extend (`?extend=<booking>`, read by the bookings page).
fn query_for(payload: &str) -> Option<Option<String>> {
    let open: OpenBooking = crate::api::decode(payload).ok()?;
    Some(open.extend.then(|| format!("extend={}", open.booking_id)))
}

/// Inside the Parkway app: follows taps on native notifications to the booking they are about.
/// Renders nothing; it sits inside the router so it can navigate.
#[component]
pub fn OpenBookingListener() -> Html {
    let navigator = use_navigator();
    use_effect_with((), move |_| {
        if let (true, Some(navigator)) = (platform::in_tauri(), navigator) {
            let open = move |json: String| match query_for(&json) {
                Some(Some(query)) => {
                    let _ = navigator.push_with_query(&Route::Bookings, Raw(query));
                }
                Some(None) => navigator.push(&Route::Bookings),
                None => {}
            };
            // Registered once for the page's life, as the app's other events are. A tapped
            // push (`push-opened`, on phones) says `{bookingId}` too.
            let (opened, pending) = (open.clone(), open.clone());
            platform::tauri_listen("open-booking", open);
            platform::tauri_listen("push-opened", opened);
            // The push whose tap started the app came before this page listened: the app kept it.
            crate::platform::spawn(async move {
                if let Ok(json) = platform::tauri_invoke("push_opened_pending", "{}").await {
                    pending(json);
                }
            });
        }
    });
    html! {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tap_opens_my_bookings_and_extend_opens_the_form() {
        let id = "5f0c6f1e-8d2a-4b7e-9c1d-2a3b4c5d6e7f";
        assert_eq!(query_for(&format!(r#"{{"bookingId":"{id}","extend":true}}"#)), Some(Some(format!("extend={id}"))));
        assert_eq!(query_for(&format!(r#"{{"bookingId":"{id}","extend":false}}"#)), Some(None));
        assert_eq!(query_for(r#"{"bookingId":"nope","extend":true}"#), None);
    }
}
