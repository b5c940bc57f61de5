//! The HTTP side: Stripe's routes, the bearer key, the request log, injected outages,
//! idempotency keys, and reading each call's parameters into the world's terms.
//!
//! Every handler does its whole work under the world's lock and holds it across no `.await`,
//! so two requests with the same idempotency key cannot both execute.

use super::error::ApiError;
use super::form::{self, Field, Params};
use super::world::{NewAccount, NewLink, NewTransfer, Stored, World, new_id};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// Stripe's own limit on idempotency keys.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// What the server and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub key: String,
    pub base: String,
    pub world: Mutex<World>,
    pub http: reqwest::Client,
}

impl Shared {
    /// The world, even after a panic elsewhere: one failed test should not fail the others'
    /// requests with a poisoned lock.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/accounts", post(create_account).fallback(unrecognized))
        .route("/v1/accounts/{id}", get(retrieve_account).fallback(unrecognized))
        .route("/v1/account_links", post(create_link).fallback(unrecognized))
        .route("/v1/transfers", post(create_transfer).get(list_transfers).fallback(unrecognized))
        .route("/v1/transfers/{id}", get(retrieve_transfer).fallback(unrecognized))
        .route("/v1/transfers/{id}/reversals", post(create_reversal).fallback(unrecognized))
        .route("/v1/payouts", get(list_payouts).fallback(unrecognized))
        .route("/onboarding/{id}", get(onboarding_page))
        .fallback(unrecognized)
        .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .layer(middleware::from_fn_with_state(shared.clone(), log_request))
        .with_state(shared)
}

/// Outermost: every request counts, refused or not, so a rate-limit benchmark sees what the
/// client really sent.
async fn log_request(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let entry = format!("{} {}", request.method(), request.uri().path());
    shared.world().requests.push((Instant::now(), entry));
    next.run(request).await
}

/// Stripe checks the key before anything else, unknown paths included. The onboarding page
/// is a browser page, not API, so it needs none.
async fn authenticate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/onboarding/") {
        return next.run(request).await;
    }
    let expected = format!("Bearer {}", shared.key);
    if request.headers().get(AUTHORIZATION).is_some_and(|h| h.as_bytes() == expected.as_bytes()) {
        next.run(request).await
    } else {
        let mut res = fail(&ApiError::bad_key());
        res.headers_mut().insert("www-authenticate", HeaderValue::from_static("Bearer realm=\"Stripe\""));
        res
    }
}

async fn unrecognized(method: Method, uri: Uri) -> Response {
    fail(&ApiError::unrecognized(method.as_str(), uri.path()))
}

fn respond(status: StatusCode, body: &Value, replayed: bool) -> Response {
    let mut res = (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response();
    let headers = res.headers_mut();
    if let Ok(id) = HeaderValue::from_str(&new_id("req")) {
        headers.insert("request-id", id);
    }
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    if status.is_server_error() {
        // Stripe's hint that the same request (with the same idempotency key) may be retried.
        headers.insert("stripe-should-retry", HeaderValue::from_static("true"));
    }
    res
}

fn fail(e: &ApiError) -> Response {
    respond(e.status, &e.body(), false)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str().map_err(|_| ApiError::unreadable(format!("Invalid request: the {name} header is not ASCII")))
        })
        .transpose()
}

/// A write: injected outage first (so nothing is stored and a retry succeeds), then the
/// parameters, then the idempotency key, then `op`, whose answer the key keeps unless it is a
/// validation error.
fn write(
    shared: &Shared,
    headers: &HeaderMap,
    endpoint: &str,
    body: &[u8],
    allowed: &[Field],
    op: impl FnOnce(&mut World, &Params) -> Result<Value, ApiError>,
) -> Response {
    let mut world = shared.world();
    if world.fail_writes > 0 {
        world.fail_writes -= 1;
        return fail(&ApiError::outage());
    }
    let prepared = (|| {
        if header(headers, "stripe-account")?.is_some() {
            return Err(ApiError::not_modelled(format!("Stripe-Account on {endpoint}")));
        }
        let params = Params::parse(body)?;
        params.check(allowed)?;
        let key = header(headers, "idempotency-key")?.map(str::to_owned);
        if key.as_ref().is_some_and(|k| k.len() > MAX_IDEMPOTENCY_KEY) {
            return Err(ApiError::unreadable(format!(
                "Invalid Idempotency-Key: keys can be at most {MAX_IDEMPOTENCY_KEY} characters"
            )));
        }
        Ok((params, key))
    })();
    let (params, key) = match prepared {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let fingerprint = (endpoint.to_owned(), params.fingerprint());
    if let Some(key) = &key
        && let Some(stored) = world.idempotency.get(key)
    {
        return if stored.fingerprint == fingerprint {
            respond(stored.status, &stored.body, true)
        } else {
            fail(&ApiError::idempotency(key))
        };
    }
    let (status, answer, saved) = match op(&mut world, &params) {
        Ok(v) => (StatusCode::OK, v, true),
        Err(e) => (e.status, e.body(), e.saved),
    };
    if let Some(key) = key
        && saved
    {
        world.idempotency.insert(key, Stored { fingerprint, status, body: answer.clone() });
    }
    respond(status, &answer, false)
}

/// A read: the query's parameters, then `op`. `Stripe-Account` reaches `op` only where the
/// double models it.
fn read(
    shared: &Shared,
    headers: &HeaderMap,
    endpoint: &str,
    query: Option<String>,
    allowed: &[Field],
    on_behalf: bool,
    op: impl FnOnce(&World, &Params, Option<&str>) -> Result<Value, ApiError>,
) -> Response {
    let answer = (|| {
        let account = header(headers, "stripe-account")?;
        if account.is_some() && !on_behalf {
            return Err(ApiError::not_modelled(format!("Stripe-Account on {endpoint}")));
        }
        let params = Params::parse(query.unwrap_or_default().as_bytes())?;
        params.check(allowed)?;
        op(&shared.world(), &params, account)
    })();
    match answer {
        Ok(v) => respond(StatusCode::OK, &v, false),
        Err(e) => fail(&e),
    }
}

fn one_of(p: &Params, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match p.value(name) {
        None | Some("") => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_owned())),
        Some(v) => {
            Err(ApiError::malformed(name, format!("Invalid {name}: must be one of {}, got '{v}'", allowed.join(", "))))
        }
    }
}

fn url(p: &Params, name: &str) -> Result<String, ApiError> {
    let v = p.required(name)?;
    if v.starts_with("http://") || v.starts_with("https://") {
        Ok(v.to_owned())
    } else {
        Err(ApiError::malformed_code(name, "url_invalid", format!("Not a valid URL: {v}")))
    }
}

fn currency(name: &str, value: &str) -> Result<String, ApiError> {
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(ApiError::malformed(name, format!("Invalid currency: {value}")))
    }
}

async fn create_account(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    write(&shared, &headers, "POST /v1/accounts", &body, form::CREATE_ACCOUNT, |world, p| {
        let new = account_params(p)?;
        Ok(world.create_account(new))
    })
}

fn account_params(p: &Params) -> Result<NewAccount, ApiError> {
    let controller = p.hash("controller");
    let kind = match one_of(p, "type", &["custom", "express", "standard"])? {
        Some(kind) => kind,
        // Accounts described by controller properties instead of a type report `type: none`.
        None if controller.as_object().is_some_and(|c| !c.is_empty()) => "none".to_owned(),
        None if p.value("type") == Some("") => return Err(ApiError::empty("type")),
        None => return Err(ApiError::missing("type")),
    };
    let country = match p.text("country") {
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => c.to_ascii_uppercase(),
        Some(c) => return Err(ApiError::malformed("country", format!("Country '{c}' is unknown."))),
        None => "US".to_owned(),
    };
    let default_currency = match p.text("default_currency") {
        Some(c) => currency("default_currency", &c)?,
        None => "usd".to_owned(),
    };
    let mut capabilities = BTreeMap::new();
    if let Some(asked) = p.hash("capabilities").as_object() {
        for (name, settings) in asked {
            // Each capability takes one setting, `requested`.
            let requested = match settings.as_object().map(|s| s.iter().collect::<Vec<_>>()).as_deref() {
                Some([(key, value)]) if key.as_str() == "requested" => value.as_str(),
                _ => return Err(ApiError::unknown(&format!("capabilities[{name}]"))),
            };
            let requested = match requested {
                Some("true") => true,
                Some("false") => false,
                other => {
                    return Err(ApiError::malformed(
                        &format!("capabilities[{name}][requested]"),
                        format!("Invalid boolean: {}", other.unwrap_or("")),
                    ));
                }
            };
            capabilities.insert(name.clone(), requested);
        }
    }
    if kind == "custom" && capabilities.is_empty() {
        // Stripe: required when the platform owns the dashboard, which includes Custom accounts.
        return Err(ApiError::missing("capabilities"));
    }
    Ok(NewAccount {
        kind,
        country,
        email: p.text("email"),
        default_currency,
        business_type: one_of(p, "business_type", &["company", "government_entity", "individual", "non_profit"])?,
        business_profile: p.hash("business_profile"),
        capabilities,
        metadata: p.metadata()?,
    })
}

async fn retrieve_account(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&shared, &headers, "GET /v1/accounts/:id", query, form::RETRIEVE_ACCOUNT, false, |world, _, _| {
        world.account(&id).map(|a| a.to_json()).ok_or_else(|| ApiError::no_such("account", &id, "account"))
    })
}

async fn create_link(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let base = shared.base.clone();
    write(&shared, &headers, "POST /v1/account_links", &body, form::CREATE_ACCOUNT_LINK, |world, p| {
        let account = p.required("account")?.to_owned();
        p.required("type")?;
        // Present and not empty, so `one_of` either names it or refuses it.
        let kind = one_of(p, "type", &["account_onboarding", "account_update"])?.unwrap_or_default();
        let refresh_url = url(p, "refresh_url")?;
        let return_url = url(p, "return_url")?;
        one_of(p, "collect", &["currently_due", "eventually_due"])?;
        world.create_link(&base, NewLink { account, refresh_url, return_url, kind })
    })
}

async fn create_transfer(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    write(&shared, &headers, "POST /v1/transfers", &body, form::CREATE_TRANSFER, |world, p| {
        p.required("amount")?;
        let Some(amount) = p.positive("amount")? else { return Err(ApiError::missing("amount")) };
        let currency = currency("currency", p.required("currency")?)?;
        let destination = p.required("destination")?.to_owned();
        let source_type = one_of(p, "source_type", &["bank_account", "card", "fpx"])?;
        let new = NewTransfer {
            amount,
            currency,
            destination,
            description: p.text("description"),
            source_transaction: p.text("source_transaction"),
            source_type,
            transfer_group: p.text("transfer_group"),
            metadata: p.metadata()?,
        };
        world.create_transfer(new)
    })
}

/// One page of a newest-first list, Stripe's way: `starting_after` gives the objects after
/// (older than) that one, `ending_before` those before (newer than) it, at most `limit`.
fn page<'a>(
    items: impl Iterator<Item = (&'a str, Value)>,
    p: &Params,
    object: &str,
    url: &str,
) -> Result<Value, ApiError> {
    let limit = p.limit()?;
    let after = p.text("starting_after");
    let before = p.text("ending_before");
    if after.is_some() && before.is_some() {
        return Err(ApiError::malformed(
            "starting_after",
            "You may only specify one of these parameters: ending_before, starting_after.",
        ));
    }
    let all: Vec<(&str, Value)> = items.collect();
    let position = |cursor: &str, param: &str| {
        all.iter().position(|(id, _)| *id == cursor).ok_or_else(|| ApiError::no_such_param(object, cursor, param))
    };
    let (data, has_more): (Vec<Value>, bool) = if let Some(cursor) = before {
        let newer = &all[..position(&cursor, "ending_before")?];
        let start = newer.len().saturating_sub(limit);
        (newer[start..].iter().map(|(_, v)| v.clone()).collect(), start > 0)
    } else {
        let from = match after {
            Some(cursor) => position(&cursor, "starting_after")? + 1,
            None => 0,
        };
        let older = &all[from..];
        (older.iter().take(limit).map(|(_, v)| v.clone()).collect(), older.len() > limit)
    };
    Ok(json!({ "object": "list", "data": data, "has_more": has_more, "url": url }))
}

async fn list_transfers(State(shared): State<Arc<Shared>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    read(&shared, &headers, "GET /v1/transfers", query, form::LIST_TRANSFERS, false, |world, p, _| {
        let destination = p.text("destination");
        let group = p.text("transfer_group");
        let created = p.range("created")?;
        let items = world
            .transfers
            .iter()
            .rev()
            .filter(|t| destination.as_ref().is_none_or(|d| *d == t.destination))
            .filter(|t| group.as_ref().is_none_or(|g| Some(g) == t.transfer_group.as_ref()))
            .filter(|t| created.contains(t.created))
            .map(|t| (t.id.as_str(), t.to_json()));
        page(items, p, "transfer", "/v1/transfers")
    })
}

async fn retrieve_transfer(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&shared, &headers, "GET /v1/transfers/:id", query, form::RETRIEVE_TRANSFER, false, |world, _, _| {
        world.transfer(&id).map(|t| t.to_json()).ok_or_else(|| ApiError::no_such("transfer", &id, "id"))
    })
}

async fn create_reversal(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = format!("POST /v1/transfers/{id}/reversals");
    write(&shared, &headers, &endpoint, &body, form::CREATE_REVERSAL, |world, p| {
        let amount = p.positive("amount")?;
        // Accepted as documented; the double has no application fees to refund.
        p.boolean("refund_application_fee")?;
        let metadata = p.metadata()?;
        world.reverse(&id, amount, metadata).map(|(reversal, _, _)| reversal)
    })
}

async fn list_payouts(State(shared): State<Arc<Shared>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    read(&shared, &headers, "GET /v1/payouts", query, form::LIST_PAYOUTS, true, |world, p, account| {
        let status = one_of(p, "status", &["canceled", "failed", "paid", "pending"])?;
        let destination = p.text("destination");
        let created = p.range("created")?;
        let arrival = p.range("arrival_date")?;
        if let Some(account) = account
            && world.account(account).is_none()
        {
            return Err(ApiError::no_access(account));
        }
        // Without Stripe-Account these are the platform's own payouts, of which the double has none.
        let items = world
            .payouts
            .iter()
            .rev()
            .filter(|po| account == Some(po.account.as_str()))
            .filter(|po| status.as_deref().is_none_or(|s| s == po.status()))
            .filter(|po| destination.as_ref().is_none_or(|d| *d == po.destination))
            .filter(|po| created.contains(po.created) && arrival.contains(po.created))
            .map(|po| (po.id.as_str(), po.to_json()));
        page(items, p, "payout", "/v1/payouts")
    })
}

/// Where an account link leads: a stand-in for Stripe's hosted onboarding. Nothing is
/// collected here; the test says when the owner is done (`complete_onboarding`).
async fn onboarding_page(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let url = format!("{}/onboarding/{id}", shared.base);
    let link = shared.world().links.iter().find(|l| l.url == url).cloned();
    let Some(link) = link else {
        return (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><title>Link not found</title><p>No such account link.</p>"),
        )
            .into_response();
    };
    Html(format!(
        "<!doctype html><title>Stripe Connect test double: onboarding</title>\
         <h1>Onboarding {account}</h1>\
         <p>This is a Stripe Connect test double. It collects nothing: the test completes onboarding.</p>\
         <p><a href=\"{ret}\">Return to the platform</a> · <a href=\"{refresh}\">Link expired</a></p>",
        account = escape(&link.account),
        ret = escape(&link.return_url),
        refresh = escape(&link.refresh_url),
    ))
    .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
