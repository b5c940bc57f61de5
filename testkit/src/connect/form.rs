//! Stripe's request parameters: form-encoded bodies (and query strings) with bracketed nesting
//! (`capabilities[transfers][requested]=true`, `expand[]=x`), checked against the parameters
//! Stripe documents for each call, so a misspelt or invented parameter fails here as it would
//! at Stripe instead of being silently ignored.

use super::error::ApiError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How a documented parameter may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `name=value` only.
    Value,
    /// `name[key]…=value`, or `name=` (empty) to unset the whole hash.
    Hash,
    /// `name[]=value` or `name[0]=value`.
    List,
    /// Either a single value or a hash (`external_account`, the `created` range).
    Either,
}

/// A documented parameter.
pub(crate) type Field = (&'static str, Shape);

use Shape::{Either, Hash, List, Value as One};

// The whitelists below list the top-level parameters of each call as Stripe's API reference
// documents them (read from the reference pages and the SDKs generated from Stripe's OpenAPI
// description, which list the same names). Nested keys under a hash parameter are free-form
// here: the double checks the names a client chooses, not Stripe's whole schema.

/// Stripe API reference: "Create an account" (`POST /v1/accounts`).
pub(crate) const CREATE_ACCOUNT: &[Field] = &[
    ("account_token", One),
    ("business_profile", Hash),
    ("business_type", One),
    ("capabilities", Hash),
    ("company", Hash),
    ("controller", Hash),
    ("country", One),
    ("default_currency", One),
    ("documents", Hash),
    ("email", One),
    ("expand", List),
    ("external_account", Either),
    ("groups", Hash),
    ("individual", Hash),
    ("metadata", Hash),
    ("settings", Hash),
    ("tos_acceptance", Hash),
    ("type", One),
];

/// Stripe API reference: "Retrieve account" (`GET /v1/accounts/:id`).
pub(crate) const RETRIEVE_ACCOUNT: &[Field] = &[("expand", List)];

/// Stripe API reference: "Create an account link" (`POST /v1/account_links`). `collect` is
/// documented as deprecated in favour of `collection_options`, but still accepted.
pub(crate) const CREATE_ACCOUNT_LINK: &[Field] = &[
    ("account", One),
    ("collect", One),
    ("collection_options", Hash),
    ("expand", List),
    ("refresh_url", One),
    ("return_url", One),
    ("type", One),
];

/// Stripe API reference: "Create a transfer" (`POST /v1/transfers`).
pub(crate) const CREATE_TRANSFER: &[Field] = &[
    ("amount", One),
    ("currency", One),
    ("description", One),
    ("destination", One),
    ("expand", List),
    ("metadata", Hash),
    ("source_transaction", One),
    ("source_type", One),
    ("transfer_group", One),
];

/// Stripe API reference: "List all transfers" (`GET /v1/transfers`).
pub(crate) const LIST_TRANSFERS: &[Field] = &[
    ("created", Either),
    ("destination", One),
    ("ending_before", One),
    ("expand", List),
    ("limit", One),
    ("starting_after", One),
    ("transfer_group", One),
];

/// Stripe API reference: "Retrieve a transfer" (`GET /v1/transfers/:id`).
pub(crate) const RETRIEVE_TRANSFER: &[Field] = &[("expand", List)];

/// Stripe API reference: "Create a transfer reversal" (`POST /v1/transfers/:id/reversals`).
pub(crate) const CREATE_REVERSAL: &[Field] =
    &[("amount", One), ("description", One), ("expand", List), ("metadata", Hash), ("refund_application_fee", One)];

/// Stripe API reference: "List all payouts" (`GET /v1/payouts`).
pub(crate) const LIST_PAYOUTS: &[Field] = &[
    ("arrival_date", Either),
    ("created", Either),
    ("destination", One),
    ("ending_before", One),
    ("expand", List),
    ("limit", One),
    ("starting_after", One),
    ("status", One),
];

/// Stripe's metadata limits (API reference: "Metadata"): 50 keys, keys of up to 40 characters,
/// values of up to 500.
const METADATA_KEYS: usize = 50;
const METADATA_KEY_CHARS: usize = 40;
const METADATA_VALUE_CHARS: usize = 500;

/// A request's parameters, in the order sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

/// A `created`-style range: `created=N` or `created[gt|gte|lt|lte]=N`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Range {
    gt: Option<i64>,
    gte: Option<i64>,
    lt: Option<i64>,
    lte: Option<i64>,
}

impl Range {
    /// Whether `t` lies in the range.
    pub fn contains(&self, t: i64) -> bool {
        self.gt.is_none_or(|b| t > b)
            && self.gte.is_none_or(|b| t >= b)
            && self.lt.is_none_or(|b| t < b)
            && self.lte.is_none_or(|b| t <= b)
    }
}

impl Params {
    /// Decodes `application/x-www-form-urlencoded` text (a body or a query string).
    pub fn parse(raw: &[u8]) -> Result<Params, ApiError> {
        let mut pairs = Vec::new();
        for piece in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match piece.iter().position(|b| *b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &[][..]),
            };
            pairs.push((decode(name)?, decode(value)?));
        }
        Ok(Params { pairs })
    }

    /// Refuses any parameter not in `allowed`, or written in a shape the parameter does not take.
    pub fn check(&self, allowed: &[Field]) -> Result<(), ApiError> {
        for (key, value) in &self.pairs {
            let Some((top, path)) = split_key(key) else {
                return Err(ApiError::unknown(key));
            };
            let Some((_, shape)) = allowed.iter().find(|(name, _)| *name == top) else {
                return Err(ApiError::unknown(top));
            };
            match (shape, path.is_empty()) {
                (One, false) => {
                    return Err(ApiError::malformed(top, format!("Invalid {top}: expected a single value, got {key}")));
                }
                (Hash, true) if !value.is_empty() => {
                    return Err(ApiError::malformed(top, format!("Invalid object: {top} must be a hash")));
                }
                (List, true) => return Err(ApiError::malformed(top, format!("Invalid array: {top} must be a list"))),
                _ => {}
            }
        }
        Ok(())
    }

    /// The value of a single-valued parameter (the last one if repeated).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A non-empty optional value (an empty value means "unset", which on creation is nothing).
    pub fn text(&self, name: &str) -> Option<String> {
        self.value(name).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// A required value: `parameter_missing` when absent, `parameter_invalid_empty` when empty.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        match self.value(name) {
            None => Err(ApiError::missing(name)),
            Some("") => Err(ApiError::empty(name)),
            Some(v) => Ok(v),
        }
    }

    /// An optional integer.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::malformed_code(name, "parameter_invalid_integer", format!("Invalid integer: {v}"))
            }),
        }
    }

    /// An optional integer of at least 1 (amounts).
    pub fn positive(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.integer(name)? {
            Some(n) if n < 1 => Err(ApiError::malformed_code(
                name,
                "parameter_invalid_integer",
                format!("Invalid positive integer: {n} (this value must be greater than or equal to 1)"),
            )),
            n => Ok(n),
        }
    }

    /// An optional `true`/`false`.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::malformed(name, format!("Invalid boolean: {v}"))),
        }
    }

    /// A list page size: 1 to 100, 10 when absent (Stripe's rule for every list call).
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.integer("limit")? {
            None => Ok(10),
            Some(n @ 1..=100) => Ok(n as usize),
            Some(n) => Err(ApiError::malformed_code(
                "limit",
                "parameter_invalid_integer",
                format!("Invalid limit: {n} (it must be between 1 and 100)"),
            )),
        }
    }

    /// Every `name[key]…=value` as a JSON object (strings at the leaves, `[]` appending to a
    /// list), for echoing a hash parameter back in an object as Stripe does.
    pub fn hash(&self, name: &str) -> Value {
        let mut root = Value::Object(Map::new());
        for (key, value) in &self.pairs {
            let Some((top, path)) = split_key(key) else { continue };
            if top != name || path.is_empty() {
                continue;
            }
            insert(&mut root, &path, value);
        }
        root
    }

    /// `metadata[key]=value`, within Stripe's limits; empty values are unsets, so left out.
    pub fn metadata(&self) -> Result<BTreeMap<String, String>, ApiError> {
        let mut out = BTreeMap::new();
        for (key, value) in &self.pairs {
            let Some(("metadata", path)) = split_key(key) else { continue };
            match path.as_slice() {
                [] => {}
                [k] if k.is_empty() || k.chars().count() > METADATA_KEY_CHARS => {
                    return Err(ApiError::malformed(
                        "metadata",
                        format!("Invalid metadata: keys must be 1 to {METADATA_KEY_CHARS} characters, got '{k}'"),
                    ));
                }
                [_] if value.chars().count() > METADATA_VALUE_CHARS => {
                    return Err(ApiError::malformed(
                        "metadata",
                        format!("Invalid metadata: values can be at most {METADATA_VALUE_CHARS} characters"),
                    ));
                }
                [k] => {
                    if value.is_empty() {
                        out.remove(*k);
                    } else {
                        out.insert((*k).to_owned(), value.clone());
                    }
                }
                _ => return Err(ApiError::malformed("metadata", format!("Invalid metadata: {key} is nested"))),
            }
        }
        if out.len() > METADATA_KEYS {
            return Err(ApiError::malformed(
                "metadata",
                format!("Invalid metadata: at most {METADATA_KEYS} keys, got {}", out.len()),
            ));
        }
        Ok(out)
    }

    /// A range filter (`created`, `arrival_date`); everything when absent.
    pub fn range(&self, name: &str) -> Result<Range, ApiError> {
        let mut range = Range::default();
        for (key, value) in &self.pairs {
            let Some((top, path)) = split_key(key) else { continue };
            if top != name {
                continue;
            }
            let n: i64 = value.parse().map_err(|_| {
                ApiError::malformed_code(key, "parameter_invalid_integer", format!("Invalid integer: {value}"))
            })?;
            match path.as_slice() {
                [] => {
                    range.gte = Some(n);
                    range.lte = Some(n);
                }
                ["gt"] => range.gt = Some(n),
                ["gte"] => range.gte = Some(n),
                ["lt"] => range.lt = Some(n),
                ["lte"] => range.lte = Some(n),
                _ => return Err(ApiError::unknown(key)),
            }
        }
        Ok(range)
    }

    /// What an idempotency key is tied to: the parameters, in any order.
    pub fn fingerprint(&self) -> Vec<(String, String)> {
        let mut pairs = self.pairs.clone();
        pairs.sort();
        pairs
    }
}

/// `a[b][c]` → `("a", ["b", "c"])`; `None` when the brackets do not close properly.
fn split_key(key: &str) -> Option<(&str, Vec<&str>)> {
    let Some(open) = key.find('[') else { return Some((key, Vec::new())) };
    let (top, mut rest) = key.split_at(open);
    let mut path = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        path.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    (!top.is_empty()).then_some((top, path))
}

fn insert(node: &mut Value, path: &[&str], value: &str) {
    let Some((head, rest)) = path.split_first() else {
        *node = Value::String(value.to_owned());
        return;
    };
    if head.is_empty() {
        if !node.is_array() {
            *node = Value::Array(Vec::new());
        }
        if let Value::Array(items) = node {
            let mut child = Value::Object(Map::new());
            insert(&mut child, rest, value);
            items.push(child);
        }
        return;
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    if let Value::Object(map) = node {
        let child = map.entry((*head).to_owned()).or_insert_with(|| Value::Object(Map::new()));
        insert(child, rest, value);
    }
}

/// Percent-decoding with `+` for space, as browsers and HTTP clients encode forms.
fn decode(raw: &[u8]) -> Result<String, ApiError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(|| {
                    ApiError::unreadable("Invalid request: the body is not valid application/x-www-form-urlencoded")
                })?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ApiError::unreadable("Invalid request: parameters must be UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_keys_and_encoding_are_decoded() {
        let p = Params::parse(b"email=a%40b.c&capabilities%5Btransfers%5D%5Brequested%5D=true&description=two+words")
            .expect("a valid form");
        assert_eq!(p.value("email"), Some("a@b.c"));
        assert_eq!(p.value("description"), Some("two words"));
        assert_eq!(p.hash("capabilities"), json!({"transfers": {"requested": "true"}}));
        p.check(CREATE_ACCOUNT).expect_err("description is not an account parameter");
    }

    #[test]
    fn shapes_are_checked() {
        let ok = Params::parse(b"metadata=&expand[]=x&expand[1]=y&type=express").expect("form");
        ok.check(CREATE_ACCOUNT).expect("documented shapes");
        for bad in [&b"type[x]=express"[..], b"metadata=x", b"expand=x", b"bogus=1", b"capabilities[x"] {
            let p = Params::parse(bad).expect("form");
            let e = p.check(CREATE_ACCOUNT).expect_err("refused");
            assert!(!e.saved, "a shape error is a validation error");
        }
        let unknown = Params::parse(b"colour[red]=1").expect("form").check(CREATE_ACCOUNT).expect_err("unknown");
        assert_eq!(unknown.param.as_deref(), Some("colour"));
        assert_eq!(unknown.code, Some("parameter_unknown"));
    }

    #[test]
    fn bad_percent_encoding_is_refused() {
        Params::parse(b"a=%zz").expect_err("not hex");
        Params::parse(b"a=%ff").expect_err("not UTF-8");
    }

    #[test]
    fn metadata_limits_and_unsets() {
        let p = Params::parse(b"metadata[a]=1&metadata[b]=2&metadata[b]=").expect("form");
        assert_eq!(p.metadata().expect("valid"), BTreeMap::from([("a".to_owned(), "1".to_owned())]));
        let long = format!("metadata[{}]=1", "k".repeat(41));
        Params::parse(long.as_bytes()).expect("form").metadata().expect_err("key too long");
        Params::parse(b"metadata[a][b]=1").expect("form").metadata().expect_err("nested");
    }

    #[test]
    fn ranges() {
        let p = Params::parse(b"created[gte]=10&created[lt]=20").expect("form");
        let r = p.range("created").expect("valid");
        assert!(r.contains(10) && r.contains(19) && !r.contains(20) && !r.contains(9));
        let exact = Params::parse(b"created=5").expect("form").range("created").expect("valid");
        assert!(exact.contains(5) && !exact.contains(6));
    }
}
