//! The booking a tapped push opens. The native side hands over the push's `data` as it came:
//! from Firebase the notification's data as JSON text (`"{\"bookingId\":\"…\"}"`, since Firebase
//! data values are strings), from APNs the JSON text of the `data` object. An object is read
//! too, so a native side that passes it on unserialised still works.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A tapped push that names a booking. It is also the payload of the app's `push-opened`
/// event: `{"bookingId": "<uuid>"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Opened {
    /// The booking to show.
    pub booking_id: Uuid,
}

impl Opened {
    /// The booking of a tap, from the native event's payload `{data}`; `None` when the push
    /// names no booking (a payout, say) or is not one of the server's.
    pub fn from_tap(payload: &Value) -> Option<Opened> {
        Opened::from_push_data(payload.get("data")?)
    }

    /// The booking in a push's `data`, given as JSON text or as an object.
    pub fn from_push_data(data: &Value) -> Option<Opened> {
        let parsed;
        let object = match data {
            Value::String(text) => {
                parsed = serde_json::from_str::<Value>(text).ok()?;
                &parsed
            }
            other => other,
        };
        let booking_id = Uuid::parse_str(object.get("bookingId")?.as_str()?).ok()?;
        Some(Opened { booking_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BOOKING: &str = "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f";

    #[test]
    fn firebase_data_is_json_text() {
        // As the server sends it: `message.data.data` is the notification's data serialised.
        let data = json!({"bookingId": BOOKING, "action": "extend"}).to_string();
        let opened = Opened::from_tap(&json!({ "data": data })).expect("a booking");
        assert_eq!(opened.booking_id.to_string(), BOOKING);
    }

    #[test]
    fn apns_data_is_an_object_whether_or_not_serialised() {
        let data = json!({"bookingId": BOOKING});
        assert_eq!(Opened::from_push_data(&data), Opened::from_push_data(&Value::String(data.to_string())));
        assert!(Opened::from_push_data(&data).is_some());
    }

    #[test]
    fn a_push_naming_no_booking_opens_nothing() {
        for payload in [
            json!({}),
            json!({"data": null}),
            json!({"data": "not json"}),
            json!({"data": "{\"payoutId\":\"x\"}"}),
            json!({"data": "{\"bookingId\":\"not-a-uuid\"}"}),
            json!({"data": {"bookingId": 42}}),
        ] {
            assert_eq!(Opened::from_tap(&payload), None, "{payload}");
        }
    }

    #[test]
    fn the_event_payload_is_booking_id_in_camel_case() {
        let opened = Opened { booking_id: Uuid::parse_str(BOOKING).expect("uuid") };
        assert_eq!(serde_json::to_value(opened).expect("json"), json!({"bookingId": BOOKING}));
    }
}
