//! Events as Stripe sends them to a webhook endpoint: a JSON `event` object POSTed with a
//! `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` header, retried a few times
//! when the endpoint does not answer 2xx, then dropped.

use super::world::{Target, new_id, now};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::time::Duration;

/// The API version the double's objects follow.
pub(crate) const API_VERSION: &str = "2024-06-20";

/// How often one event is tried before it is dropped, and the wait before the first retry
/// (doubling after each). Stripe retries for days; tests want an answer in well under a second.
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// An event of `kind` about `object`. `account` is set for events of a connected account
/// (Connect webhooks receive it to tell accounts apart); `before` is the object before the
/// change, for `*.updated`-style events, whose `data.previous_attributes` lists what changed.
pub(crate) fn event(kind: &str, account: Option<&str>, object: Value, before: Option<&Value>) -> Value {
    let mut data = Map::new();
    if let Some(before) = before {
        data.insert("previous_attributes".into(), changed(before, &object));
    }
    data.insert("object".into(), object);
    let mut event = json!({
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": data,
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
    });
    if let Some(account) = account {
        event["account"] = json!(account);
    }
    event
}

/// The top-level fields that differ, with their old values.
fn changed(before: &Value, after: &Value) -> Value {
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else { return json!({}) };
    let previous: Map<String, Value> =
        before.iter().filter(|(k, v)| after.get(k.as_str()) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    Value::Object(previous)
}

/// The `Stripe-Signature` header for `payload` sent at `timestamp`.
pub(crate) fn signature(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { unreachable!("HMAC accepts any key") };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs `event` to `target` until it answers 2xx, a few times at most.
pub(crate) async fn deliver(http: &reqwest::Client, target: &Target, event: &Value) {
    let body = event.to_string();
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        // Signed afresh on each attempt, as Stripe does, so a retry is not refused as stale.
        let outcome = http
            .post(&target.url)
            .header("Content-Type", "application/json")
            .header("Stripe-Signature", signature(&target.secret, now() + target.clock_offset, body.as_bytes()))
            .timeout(ATTEMPT_TIMEOUT)
            .body(body.clone())
            .send()
            .await;
        let failure = match outcome {
            Ok(res) if res.status().is_success() => return,
            Ok(res) => format!("answered {}", res.status()),
            Err(e) => format!("unreachable: {e}"),
        };
        if attempt == ATTEMPTS {
            eprintln!(
                "connect test double: dropped event {} ({}) after {ATTEMPTS} attempts: {} {failure}",
                event["id"], event["type"], target.url
            );
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_hmac() {
        // HMAC-SHA256(key "key", message "1.{}"), computed with Python's hmac module.
        assert_eq!(
            signature("key", 1, b"{}"),
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }

    #[test]
    fn previous_attributes_list_what_changed() {
        let before = json!({"id": "a", "payouts_enabled": false, "email": "x"});
        let after = json!({"id": "a", "payouts_enabled": true, "email": "x"});
        let e = event("account.updated", Some("acct_1"), after, Some(&before));
        assert_eq!(e["data"]["previous_attributes"], json!({"payouts_enabled": false}));
        assert_eq!(e["account"], "acct_1");
        assert_eq!(e["data"]["object"]["payouts_enabled"], true);
    }
}
