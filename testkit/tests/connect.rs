//! The Stripe Connect test double, driven over HTTP as the backend drives it.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use parkway_testkit::connect::ConnectDouble;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const KEY: &str = "sk_test_connect_double";
const WHSEC: &str = "whsec_connect_double";

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.json().await.expect("a JSON answer");
    Answer { status, headers, body }
}

async fn post_form(stripe: &ConnectDouble, path: &str, form: &[(&str, &str)], key: Option<&str>) -> Answer {
    let mut req = reqwest::Client::new().post(format!("{}{path}", stripe.base())).bearer_auth(KEY).form(form);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    answer(req.send().await.expect("the double answers")).await
}

async fn get(stripe: &ConnectDouble, path_and_query: &str, account: Option<&str>) -> Answer {
    let mut req = reqwest::Client::new().get(format!("{}{path_and_query}", stripe.base())).bearer_auth(KEY);
    if let Some(account) = account {
        req = req.header("Stripe-Account", account);
    }
    answer(req.send().await.expect("the double answers")).await
}

fn error_of(a: &Answer) -> &Value {
    &a.body["error"]
}

async fn create_account(stripe: &ConnectDouble, owner: &str) -> String {
    let a = post_form(
        stripe,
        "/v1/accounts",
        &[
            ("type", "express"),
            ("email", "owner@example.com"),
            ("capabilities[transfers][requested]", "true"),
            ("metadata[owner_id]", owner),
        ],
        Some(&format!("account-{owner}")),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.body["id"].as_str().expect("an account id").to_owned()
}

async fn onboarded_account(stripe: &ConnectDouble, owner: &str) -> String {
    let account = create_account(stripe, owner).await;
    stripe.complete_onboarding(&account).await;
    account
}

async fn transfer(stripe: &ConnectDouble, destination: &str, amount: i64, group: &str) -> Answer {
    let amount = amount.to_string();
    post_form(
        stripe,
        "/v1/transfers",
        &[("amount", &amount), ("currency", "usd"), ("destination", destination), ("transfer_group", group)],
        None,
    )
    .await
}

/// A webhook endpoint in the test: keeps each delivery's signature and body, and answers 500
/// to the first `fail_first` of them.
#[derive(Clone, Default)]
struct Inbox {
    got: Arc<Mutex<Vec<(String, String)>>>,
    fail_first: Arc<AtomicUsize>,
}

impl Inbox {
    fn deliveries(&self) -> Vec<(String, String)> {
        self.got.lock().expect("inbox").clone()
    }

    /// The delivered events, each checked to be signed with `WHSEC`.
    fn events(&self) -> Vec<Value> {
        self.deliveries()
            .into_iter()
            .map(|(signature, body)| {
                assert!(signed(&signature, &body, WHSEC), "bad signature {signature} for {body}");
                serde_json::from_str(&body).expect("a JSON event")
            })
            .collect()
    }
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    assert_eq!(headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/json"));
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    inbox.got.lock().expect("inbox").push((signature, body));
    let failing = inbox.fail_first.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
}

async fn receiver(fail_first: usize) -> (String, Inbox) {
    let inbox = Inbox { fail_first: Arc::new(AtomicUsize::new(fail_first)), ..Inbox::default() };
    let app = Router::new().route("/hook", post(receive)).with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, inbox)
}

/// Checks a `Stripe-Signature` header the way a webhook endpoint must: HMAC-SHA256 of
/// `"{t}.{body}"` under the signing secret, compared with each `v1`.
fn signed(header: &str, body: &str, secret: &str) -> bool {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{t}.{body}").as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    v1.contains(&expected.as_str())
}

#[test]
fn the_handle_can_be_shared_across_tasks() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<ConnectDouble>();
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_refused() {
    let stripe = ConnectDouble::start(KEY).await;
    let expected = json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}});
    let url = format!("{}/v1/accounts", stripe.base());
    let none = answer(reqwest::Client::new().post(&url).send().await.expect("answer")).await;
    assert_eq!((none.status, &none.body), (StatusCode::UNAUTHORIZED, &expected));
    let wrong =
        answer(reqwest::Client::new().post(&url).bearer_auth("sk_test_other").send().await.expect("answer")).await;
    assert_eq!((wrong.status, &wrong.body), (StatusCode::UNAUTHORIZED, &expected));
    // Unknown paths are checked for the key first too, then refused as unrecognized.
    let unknown = get(&stripe, "/v1/charges_of_the_light_brigade", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&unknown)["type"], "invalid_request_error");
    let wrong_method = answer(
        reqwest::Client::new()
            .delete(format!("{}/v1/transfers", stripe.base()))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("a"),
    )
    .await;
    assert_eq!(wrong_method.status, StatusCode::NOT_FOUND);
    assert!(stripe.accounts().is_empty());
    assert_eq!(stripe.request_times().len(), 4, "refused requests count too");
    assert_eq!(stripe.request_counts().get("POST /v1/accounts"), Some(&2));
}

#[tokio::test]
async fn an_unknown_parameter_is_refused_and_not_kept_under_the_key() {
    let stripe = ConnectDouble::start(KEY).await;
    let account = onboarded_account(&stripe, "o1").await;
    let form = [("amout", "100"), ("currency", "usd"), ("destination", account.as_str())];
    let refused = post_form(&stripe, "/v1/transfers", &form, Some("transfer-b1")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body,
        json!({"error": {
            "type": "invalid_request_error",
            "message": "Received unknown parameter: amout",
            "param": "amout",
            "code": "parameter_unknown",
            "doc_url": "https://stripe.com/docs/error-codes/parameter-unknown",
        }})
    );
    // Nested keys are checked by their top-level name.
    let nested = post_form(&stripe, "/v1/accounts", &[("type", "express"), ("capability[transfers]", "x")], None).await;
    assert_eq!(error_of(&nested)["param"], "capability");
    // Query parameters of a list call too.
    let listed = get(&stripe, "/v1/transfers?group=b1", None).await;
    assert_eq!((listed.status, &error_of(&listed)["code"]), (StatusCode::BAD_REQUEST, &json!("parameter_unknown")));
    // A validation failure is not kept under the idempotency key: the corrected request goes through.
    let form = [("amount", "100"), ("currency", "usd"), ("destination", account.as_str())];
    let fixed = post_form(&stripe, "/v1/transfers", &form, Some("transfer-b1")).await;
    assert_eq!(fixed.status, StatusCode::OK, "{}", fixed.body);
    assert_eq!(stripe.transfers().len(), 1);
}

#[tokio::test]
async fn missing_and_malformed_parameters_are_refused() {
    let stripe = ConnectDouble::start(KEY).await;
    let account = onboarded_account(&stripe, "o1").await;
    let missing = post_form(&stripe, "/v1/transfers", &[("amount", "100"), ("destination", &account)], None).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&missing)["code"], "parameter_missing");
    assert_eq!(error_of(&missing)["param"], "currency");
    let empty =
        post_form(&stripe, "/v1/transfers", &[("amount", "100"), ("currency", ""), ("destination", &account)], None)
            .await;
    assert_eq!(error_of(&empty)["code"], "parameter_invalid_empty");
    for amount in ["0", "-5", "1.5", "ten"] {
        let form = [("amount", amount), ("currency", "usd"), ("destination", account.as_str())];
        let bad = post_form(&stripe, "/v1/transfers", &form, None).await;
        assert_eq!(
            (bad.status, &error_of(&bad)["param"]),
            (StatusCode::BAD_REQUEST, &json!("amount")),
            "amount {amount}"
        );
    }
    let no_type = post_form(&stripe, "/v1/accounts", &[("email", "a@b.c")], None).await;
    assert_eq!(error_of(&no_type)["code"], "parameter_missing");
    let bad_type = post_form(&stripe, "/v1/accounts", &[("type", "premium")], None).await;
    assert_eq!((bad_type.status, &error_of(&bad_type)["param"]), (StatusCode::BAD_REQUEST, &json!("type")));
    let link =
        post_form(&stripe, "/v1/account_links", &[("account", &account), ("type", "account_onboarding")], None).await;
    assert_eq!(error_of(&link)["code"], "parameter_missing");
    let unknown = get(&stripe, "/v1/accounts/acct_nobody", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&unknown)["code"], "resource_missing");
    assert_eq!(stripe.transfers().len(), 0);
}

#[tokio::test]
async fn onboarding_sends_a_signed_account_updated() {
    let stripe = ConnectDouble::start(KEY).await;
    let (hook, inbox) = receiver(0).await;
    stripe.deliver_events_to(&hook, WHSEC);

    let account = create_account(&stripe, "o1").await;
    let fresh = get(&stripe, &format!("/v1/accounts/{account}"), None).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.body["object"], "account");
    assert_eq!(fresh.body["type"], "express");
    assert_eq!(fresh.body["charges_enabled"], false);
    assert_eq!(fresh.body["payouts_enabled"], false);
    assert_eq!(fresh.body["details_submitted"], false);
    assert_eq!(fresh.body["requirements"]["disabled_reason"], "requirements.past_due");
    assert!(fresh.body["requirements"]["currently_due"].as_array().is_some_and(|due| !due.is_empty()));
    assert_eq!(fresh.body["capabilities"]["transfers"], "inactive");
    assert_eq!(fresh.body["metadata"]["owner_id"], "o1");

    let form = [
        ("account", account.as_str()),
        ("refresh_url", "http://127.0.0.1:1/payouts/refresh"),
        ("return_url", "http://127.0.0.1:1/payouts/return"),
        ("type", "account_onboarding"),
    ];
    let link = post_form(&stripe, "/v1/account_links", &form, None).await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    assert_eq!(link.body["object"], "account_link");
    let url = link.body["url"].as_str().expect("a url");
    assert!(url.starts_with(&format!("{}/onboarding/", stripe.base())), "{url}");
    assert!(link.body["expires_at"].as_i64() > link.body["created"].as_i64());
    let links = stripe.account_links();
    assert_eq!(links.len(), 1);
    assert_eq!((links[0].account.as_str(), links[0].kind.as_str()), (account.as_str(), "account_onboarding"));
    assert_eq!(links[0].return_url, "http://127.0.0.1:1/payouts/return");
    // The link leads to a page a browser can open, without the secret key.
    let page = reqwest::get(url).await.expect("the page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("/payouts/return"));
    // Stripe lets the platform collect updates itself only for Custom accounts.
    let update = [form[0], form[1], form[2], ("type", "account_update")];
    let refused = post_form(&stripe, "/v1/account_links", &update, None).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(inbox.deliveries().is_empty(), "nothing happened on Stripe's side yet");

    stripe.complete_onboarding(&account).await;
    let events = inbox.events();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["object"], "event");
    assert_eq!(event["type"], "account.updated");
    assert_eq!(event["account"], account.as_str());
    assert_eq!(event["api_version"], "2024-06-20");
    assert_eq!(event["livemode"], false);
    assert!(event["id"].as_str().is_some_and(|id| id.starts_with("evt_")));
    let object = &event["data"]["object"];
    assert_eq!(
        (&object["id"], &object["payouts_enabled"], &object["charges_enabled"]),
        (&json!(account), &json!(true), &json!(true))
    );
    assert_eq!(object["details_submitted"], true);
    assert_eq!(object["requirements"]["currently_due"], json!([]));
    assert_eq!(object["requirements"]["disabled_reason"], Value::Null);
    assert_eq!(event["data"]["previous_attributes"]["payouts_enabled"], false);
    // A wrong secret would not verify.
    let (signature, body) = &inbox.deliveries()[0];
    assert!(!signed(signature, body, "whsec_other"));

    let accounts = stripe.accounts();
    assert_eq!(accounts.len(), 1);
    assert!(accounts[0].payouts_enabled && accounts[0].charges_enabled && accounts[0].requirements_due.is_empty());
    assert_eq!(accounts[0].email.as_deref(), Some("owner@example.com"));

    stripe.require(&account, &["individual.verification.document"]).await;
    let events = inbox.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["data"]["object"]["payouts_enabled"], false);
    assert_eq!(
        events[1]["data"]["object"]["requirements"]["currently_due"],
        json!(["individual.verification.document"])
    );
    assert_eq!(stripe.accounts()[0].requirements_due, ["individual.verification.document"]);
}

#[tokio::test]
async fn an_account_is_created_once_per_idempotency_key() {
    let stripe = ConnectDouble::start(KEY).await;
    let first = create_account(&stripe, "o1").await;
    let again = create_account(&stripe, "o1").await;
    assert_eq!(first, again);
    assert_eq!(stripe.accounts().len(), 1);
}

#[tokio::test]
async fn a_transfer_to_an_account_not_onboarded_is_refused() {
    let stripe = ConnectDouble::start(KEY).await;
    let account = create_account(&stripe, "o1").await;
    let form = [("amount", "1000"), ("currency", "usd"), ("destination", account.as_str())];
    let refused = post_form(&stripe, "/v1/transfers", &form, Some("transfer-b1")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&refused)["type"], "invalid_request_error");
    assert_eq!(error_of(&refused)["code"], "insufficient_capabilities_for_transfer");
    let nobody = transfer(&stripe, "acct_nobody", 1000, "g").await;
    assert_eq!((nobody.status, &error_of(&nobody)["code"]), (StatusCode::BAD_REQUEST, &json!("resource_missing")));
    assert!(stripe.transfers().is_empty());
    // As at Stripe, a refusal made once the call ran is what the key answers from then on.
    stripe.complete_onboarding(&account).await;
    let replay = post_form(&stripe, "/v1/transfers", &form, Some("transfer-b1")).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(replay.headers.get("idempotent-replayed").map(|v| v.as_bytes()), Some(&b"true"[..]));
    assert_eq!(transfer(&stripe, &account, 1000, "g").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_replayed_transfer_is_made_once() {
    let stripe = ConnectDouble::start(KEY).await;
    let account = onboarded_account(&stripe, "o1").await;
    let form = [
        ("amount", "1500"),
        ("currency", "usd"),
        ("destination", account.as_str()),
        ("transfer_group", "booking_b1"),
        ("metadata[booking_id]", "b1"),
        ("source_transaction", "ch_123"),
    ];
    let first = post_form(&stripe, "/v1/transfers", &form, Some("transfer-b1")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["object"], "transfer");
    assert_eq!(first.body["amount_reversed"], 0);
    assert_eq!(
        first.body["reversals"],
        json!({"object": "list", "data": [], "has_more": false, "total_count": 0, "url": format!("/v1/transfers/{}/reversals", first.body["id"].as_str().expect("id"))})
    );
    assert!(first.headers.get("idempotent-replayed").is_none());
    // The same parameters in another order are the same request.
    let reordered: Vec<_> = form.iter().rev().copied().collect();
    let second = post_form(&stripe, "/v1/transfers", &reordered, Some("transfer-b1")).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body, first.body);
    assert_eq!(second.headers.get("idempotent-replayed").map(|v| v.as_bytes()), Some(&b"true"[..]));
    let transfers = stripe.transfers();
    assert_eq!(transfers.len(), 1);
    let t = &transfers[0];
    assert_eq!((t.amount, t.currency.as_str(), t.destination.as_str()), (1500, "usd", account.as_str()));
    assert_eq!(t.transfer_group.as_deref(), Some("booking_b1"));
    assert_eq!(t.source_transaction.as_deref(), Some("ch_123"));
    assert_eq!(t.metadata.get("booking_id").map(String::as_str), Some("b1"));
    let fetched = get(&stripe, &format!("/v1/transfers/{}", t.id), None).await;
    assert_eq!(fetched.body, first.body);
    assert_eq!(get(&stripe, "/v1/transfers/tr_nothing", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_same_key_with_other_parameters_is_an_idempotency_error() {
    let stripe = ConnectDouble::start(KEY).await;
    let account = onboarded_account(&stripe, "o1").await;
    let form = [("amount", "1500"), ("currency", "usd"), ("destination", account.as_str())];
    assert_eq!(post_form(&stripe, "/v1/transfers", &form, Some("k1")).await.status, StatusCode::OK);
    let other = [("amount", "1600"), ("currency", "usd"), ("destination", account.as_str())];
    let refused = post_form(&stripe, "/v1/transfers", &other, Some("k1")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&refused)["type"], "idempotency_error");
    // And on another endpoint.
    let transfer = stripe.transfers()[0].id.clone();
    let elsewhere = post_form(&stripe, &format!("/v1/transfers/{transfer}/reversals"), &[], Some("k1")).await;
    assert_eq!(error_of(&elsewhere)["type"], "idempotency_error");
    assert_eq!(stripe.transfers().len(), 1);
    assert_eq!(stripe.transfers()[0].amount_reversed, 0);
}

#[tokio::test]
async fn a_reversal_beyond_the_rest_is_refused() {
    let stripe = ConnectDouble::start(KEY).await;
    let account = onboarded_account(&stripe, "o1").await;
    let id = transfer(&stripe, &account, 1000, "booking_b1").await.body["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/transfers/{id}/reversals");
    let part = post_form(&stripe, &path, &[("amount", "600"), ("metadata[refund]", "re_1")], Some("rev-1")).await;
    assert_eq!(part.status, StatusCode::OK, "{}", part.body);
    assert_eq!(part.body["object"], "transfer_reversal");
    assert_eq!((&part.body["amount"], &part.body["transfer"]), (&json!(600), &json!(id)));
    assert!(part.body["id"].as_str().is_some_and(|r| r.starts_with("trr_")));
    let too_much = post_form(&stripe, &path, &[("amount", "500")], Some("rev-2")).await;
    assert_eq!((too_much.status, &error_of(&too_much)["param"]), (StatusCode::BAD_REQUEST, &json!("amount")));
    // Without an amount, the rest.
    let rest = post_form(&stripe, &path, &[], Some("rev-3")).await;
    assert_eq!(rest.body["amount"], 400);
    let nothing_left = post_form(&stripe, &path, &[("amount", "1")], None).await;
    assert_eq!(nothing_left.status, StatusCode::BAD_REQUEST);
    let missing = post_form(&stripe, "/v1/transfers/tr_nothing/reversals", &[("amount", "1")], None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let t = &stripe.transfers()[0];
    assert_eq!(t.amount_reversed, 1000);
    assert_eq!(t.reversals.iter().map(|r| r.amount).collect::<Vec<_>>(), [600, 400]);
    let fetched = get(&stripe, &format!("/v1/transfers/{id}"), None).await.body;
    assert_eq!((&fetched["amount_reversed"], &fetched["reversed"]), (&json!(1000), &json!(true)));
    assert_eq!(fetched["reversals"]["data"][0]["amount"], 400, "newest first");
}

#[tokio::test]
async fn a_reversal_needs_the_money_still_in_the_account() {
    let stripe = ConnectDouble::start(KEY).await;
    let account = onboarded_account(&stripe, "o1").await;
    let id = transfer(&stripe, &account, 1000, "booking_b1").await.body["id"].as_str().expect("id").to_owned();
    stripe.pay_out(&account, None).await;
    let refused = post_form(&stripe, &format!("/v1/transfers/{id}/reversals"), &[("amount", "100")], None).await;
    assert_eq!(
        (refused.status, &error_of(&refused)["code"]),
        (StatusCode::BAD_REQUEST, &json!("balance_insufficient"))
    );
}

#[tokio::test]
async fn transfers_are_listed_by_group_newest_first() {
    let stripe = ConnectDouble::start(KEY).await;
    let account = onboarded_account(&stripe, "o1").await;
    let other = onboarded_account(&stripe, "o2").await;
    let a1 = transfer(&stripe, &account, 100, "booking_a").await.body["id"].clone();
    transfer(&stripe, &other, 200, "booking_b").await;
    let a2 = transfer(&stripe, &account, 300, "booking_a").await.body["id"].clone();

    let list = get(&stripe, "/v1/transfers?transfer_group=booking_a", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        (&list.body["object"], &list.body["url"], &list.body["has_more"]),
        (&json!("list"), &json!("/v1/transfers"), &json!(false))
    );
    let ids: Vec<&Value> = list.body["data"].as_array().expect("data").iter().map(|t| &t["id"]).collect();
    assert_eq!(ids, [&a2, &a1]);

    let first = get(&stripe, "/v1/transfers?transfer_group=booking_a&limit=1", None).await;
    assert_eq!((&first.body["data"][0]["id"], &first.body["has_more"]), (&a2, &json!(true)));
    let after = a2.as_str().expect("id");
    let next =
        get(&stripe, &format!("/v1/transfers?transfer_group=booking_a&limit=1&starting_after={after}"), None).await;
    assert_eq!((&next.body["data"][0]["id"], &next.body["has_more"]), (&a1, &json!(false)));
    let before = a1.as_str().expect("id");
    let back = get(&stripe, &format!("/v1/transfers?transfer_group=booking_a&ending_before={before}"), None).await;
    assert_eq!(back.body["data"].as_array().map(Vec::len), Some(1));

    let by_destination = get(&stripe, &format!("/v1/transfers?destination={other}"), None).await;
    assert_eq!(by_destination.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(get(&stripe, "/v1/transfers", None).await.body["data"].as_array().map(Vec::len), Some(3));
    let none = get(&stripe, "/v1/transfers?transfer_group=booking_z", None).await;
    assert_eq!(none.body["data"], json!([]));
    for bad in ["limit=0", "limit=101", "limit=x", "starting_after=tr_nothing"] {
        assert_eq!(get(&stripe, &format!("/v1/transfers?{bad}"), None).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn payouts_pay_the_balance_and_say_so() {
    let stripe = ConnectDouble::start(KEY).await;
    let (hook, inbox) = receiver(0).await;
    stripe.deliver_events_to(&hook, WHSEC);
    let account = onboarded_account(&stripe, "o1").await;
    let first = transfer(&stripe, &account, 1000, "booking_a").await.body["id"].as_str().expect("id").to_owned();
    transfer(&stripe, &account, 500, "booking_b").await;
    let path = format!("/v1/transfers/{first}/reversals");
    assert_eq!(post_form(&stripe, &path, &[("amount", "200")], None).await.status, StatusCode::OK);

    let paid = stripe.pay_out(&account, None).await;
    assert!(paid.starts_with("po_"), "{paid}");
    let events = inbox.events();
    let event = events.last().expect("payout.paid");
    assert_eq!((&event["type"], &event["account"]), (&json!("payout.paid"), &json!(account)));
    let object = &event["data"]["object"];
    assert_eq!((&object["id"], &object["object"], &object["amount"]), (&json!(paid), &json!("payout"), &json!(1300)));
    assert_eq!((&object["status"], &object["currency"]), (&json!("paid"), &json!("usd")));

    transfer(&stripe, &account, 700, "booking_c").await;
    let failed = stripe.pay_out(&account, Some(("account_closed", "The bank account has been closed."))).await;
    let events = inbox.events();
    let event = events.last().expect("payout.failed");
    assert_eq!((&event["type"], &event["account"]), (&json!("payout.failed"), &json!(account)));
    let object = &event["data"]["object"];
    assert_eq!((&object["id"], &object["amount"], &object["status"]), (&json!(failed), &json!(700), &json!("failed")));
    assert_eq!(object["failure_code"], "account_closed");
    assert_eq!(object["failure_message"], "The bank account has been closed.");

    let payouts = stripe.payouts();
    assert_eq!(
        payouts.iter().map(|p| (p.amount, p.status.as_str())).collect::<Vec<_>>(),
        [(1300, "paid"), (700, "failed")]
    );
    assert_eq!(payouts[1].failure_code.as_deref(), Some("account_closed"));

    let listed = get(&stripe, "/v1/payouts", Some(&account)).await;
    assert_eq!(listed.status, StatusCode::OK);
    let ids: Vec<&Value> = listed.body["data"].as_array().expect("data").iter().map(|p| &p["id"]).collect();
    assert_eq!(ids, [&json!(failed), &json!(paid)]);
    let only_paid = get(&stripe, "/v1/payouts?status=paid", Some(&account)).await;
    assert_eq!(only_paid.body["data"].as_array().map(Vec::len), Some(1));
    let platform = get(&stripe, "/v1/payouts", None).await;
    assert_eq!((platform.status, &platform.body["data"]), (StatusCode::OK, &json!([])));
    assert_eq!(get(&stripe, "/v1/payouts", Some("acct_nobody")).await.status, StatusCode::FORBIDDEN);

    // The failed payout's money stayed in the balance: the next payout takes it.
    let again = stripe.pay_out(&account, None).await;
    assert_eq!(stripe.payouts().iter().find(|p| p.id == again).map(|p| p.amount), Some(700));
}

#[tokio::test]
async fn a_dashboard_reversal_sends_transfer_reversed() {
    let stripe = ConnectDouble::start(KEY).await;
    let (hook, inbox) = receiver(0).await;
    let account = onboarded_account(&stripe, "o1").await;
    stripe.deliver_events_to(&hook, WHSEC);
    let id = transfer(&stripe, &account, 1000, "booking_a").await.body["id"].as_str().expect("id").to_owned();
    // A reversal through the API is the caller's own: no event.
    post_form(&stripe, &format!("/v1/transfers/{id}/reversals"), &[("amount", "100")], None).await;
    assert!(inbox.deliveries().is_empty());

    let reversal = stripe.reverse_from_dashboard(&id, 250).await;
    assert!(reversal.starts_with("trr_"));
    let events = inbox.events();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["type"], "transfer.reversed");
    assert!(event.get("account").is_none(), "a platform event: {event}");
    let object = &event["data"]["object"];
    assert_eq!(
        (&object["object"], &object["id"], &object["amount_reversed"]),
        (&json!("transfer"), &json!(id), &json!(350))
    );
    assert_eq!(event["data"]["previous_attributes"]["amount_reversed"], 100);
    assert_eq!(stripe.transfers()[0].reversals.last().map(|r| (r.id.clone(), r.amount)), Some((reversal, 250)));
}

#[tokio::test]
async fn a_failed_delivery_is_retried() {
    let stripe = ConnectDouble::start(KEY).await;
    let (hook, inbox) = receiver(2).await;
    stripe.deliver_events_to(&hook, WHSEC);
    let account = create_account(&stripe, "o1").await;
    stripe.complete_onboarding(&account).await;
    let deliveries = inbox.events();
    assert_eq!(deliveries.len(), 3, "two refusals, then accepted");
    assert!(deliveries.iter().all(|e| e["id"] == deliveries[0]["id"]), "the same event each time");
    assert_eq!(stripe.events().len(), 1);

    // An endpoint that never accepts: the event is dropped after a few attempts, and the call returns.
    let (hook, inbox) = receiver(usize::MAX).await;
    stripe.deliver_events_to(&hook, WHSEC);
    stripe.require(&account, &["external_account"]).await;
    assert!((2..=10).contains(&inbox.deliveries().len()));
}

#[tokio::test]
async fn an_outage_answers_500_and_a_retry_with_the_same_key_succeeds() {
    let stripe = ConnectDouble::start(KEY).await;
    let account = onboarded_account(&stripe, "o1").await;
    stripe.fail_next_writes(1);
    let form = [("amount", "1000"), ("currency", "usd"), ("destination", account.as_str())];
    let down = post_form(&stripe, "/v1/transfers", &form, Some("transfer-b1")).await;
    assert_eq!(down.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_of(&down)["type"], "api_error");
    assert_eq!(down.headers.get("stripe-should-retry").map(|v| v.as_bytes()), Some(&b"true"[..]));
    assert!(stripe.transfers().is_empty(), "an outage changes nothing");
    // Reads are not writes.
    stripe.fail_next_writes(1);
    assert_eq!(get(&stripe, "/v1/transfers", None).await.status, StatusCode::OK);
    let retried = post_form(&stripe, "/v1/transfers", &form, Some("transfer-b1")).await;
    assert_eq!(retried.status, StatusCode::INTERNAL_SERVER_ERROR, "the second injected failure");
    let retried = post_form(&stripe, "/v1/transfers", &form, Some("transfer-b1")).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert!(retried.headers.get("idempotent-replayed").is_none(), "first real execution");
    assert_eq!(stripe.transfers().len(), 1);
}

#[tokio::test]
async fn the_server_stops_when_the_handle_is_dropped() {
    let stripe = ConnectDouble::start(KEY).await;
    let address = stripe.base().trim_start_matches("http://").to_owned();
    tokio::net::TcpStream::connect(&address).await.expect("listening");
    drop(stripe);
    // The server task winds down on its own schedule; give it a bounded number of turns.
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(&address).await.is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the double still listens on {address} after its handle was dropped");
}
