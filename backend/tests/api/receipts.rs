//! `GET /api/bookings/{id}/receipt`: a paid booking's receipt for its driver and its owner, its
//! number issued once and in order, its lines and tax, as a page and as a PDF.

use crate::helpers::{Session, TestApp, future, on_postgres, spawn_app, spawn_app_with};
use chrono::{Datelike, Duration};
use parkway_core::ErrorCode;
use parkway_core::receipt::TaxRate;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};

/// An answer read as bytes, for pages and PDFs.
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("the page is UTF-8")
    }

    /// The receipt number a page shows in its heading.
    fn number(&self) -> String {
        let page = self.text();
        let after =
            page.split_once("<h1>Receipt ").map(|(_, rest)| rest).unwrap_or_else(|| panic!("no heading in {page}"));
        after.split('<').next().unwrap_or_default().to_owned()
    }
}

async fn receipt(app: &TestApp, booking: &str, user: &Session, query: &str, accept: Option<&str>) -> Raw {
    let mut request =
        app.client.get(format!("{}/api/bookings/{booking}/receipt{query}", app.base)).bearer_auth(&user.token);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let answer = request.send().await.expect("an answer");
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = answer.bytes().await.expect("a body").to_vec();
    Raw { status, headers, body }
}

/// An owner's instant-book driveway at 1000 ¢ an hour, a driver, and a paid hour there.
async fn paid_booking(app: &TestApp, title: &str) -> (Session, Session, String) {
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({"pricePerHourCents": 1000, "instantBook": true, "title": title})).await;
    let booking = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let paid = app.pay(&driver, &booking).await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    (owner, driver, booking)
}

/// The number the `seq`th receipt of this year gets.
fn number(app: &TestApp, seq: u32) -> String {
    format!("{}-{seq:06}", app.clock.now().year())
}

/// The text of a PDF, as poppler's `pdftotext` reads it.
fn pdf_text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run pdftotext ({e}): install poppler-utils, as scripts/setup.sh does, to read receipts' PDFs"
            )
        });
    child.stdin.take().expect("stdin").write_all(pdf).expect("the PDF written to pdftotext");
    let out = child.wait_with_output().expect("pdftotext ran");
    assert!(out.status.success(), "pdftotext could not read the receipt: {:?}", out.status);
    String::from_utf8(out.stdout).expect("pdftotext writes UTF-8")
}

#[tokio::test]
async fn the_driver_and_the_owner_get_the_same_receipt_and_no_one_else_does() {
    let app = spawn_app().await;
    let (owner, driver, booking) = paid_booking(&app, "Oak St, by the bakery").await;

    let by_driver = receipt(&app, &booking, &driver, "", None).await;
    assert_eq!(by_driver.status, StatusCode::OK, "{}", by_driver.text());
    assert_eq!(by_driver.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(by_driver.number(), number(&app, 1));
    let by_owner = receipt(&app, &booking, &owner, "", None).await;
    assert_eq!(by_owner.status, StatusCode::OK);
    assert_eq!(by_owner.number(), by_driver.number(), "one receipt, whoever asks");
    assert_eq!(by_owner.body, by_driver.body);

    let path = format!("/api/bookings/{booking}/receipt");
    let stranger = app.driver().await;
    assert_eq!(app.get(&path, Some(&stranger.token)).await.code(), ErrorCode::NotFound, "as for the booking itself");
    let other_owner = app.owner().await;
    assert_eq!(app.get(&path, Some(&other_owner.token)).await.code(), ErrorCode::NotFound);
    assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
    let nowhere = format!("/api/bookings/{}/receipt", uuid::Uuid::new_v4());
    assert_eq!(app.get(&nowhere, Some(&driver.token)).await.code(), ErrorCode::NotFound);
    assert_eq!(app.get("/api/bookings/not-an-id/receipt", Some(&driver.token)).await.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn an_unpaid_booking_has_no_receipt_yet() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({"instantBook": true})).await;
    let booking = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let path = format!("/api/bookings/{booking}/receipt");

    let unpaid = app.get(&path, Some(&driver.token)).await;
    assert_eq!(
        (unpaid.status, unpaid.code()),
        (StatusCode::CONFLICT, ErrorCode::InvalidTransition),
        "{:?}",
        unpaid.body
    );
    assert!(unpaid.str("message").contains("not been paid"), "{:?}", unpaid.body);
    // A stranger learns nothing about it, paid or not.
    assert_eq!(app.get(&path, Some(&app.driver().await.token)).await.code(), ErrorCode::NotFound);
    // Asking early takes no number: the first receipt issued is still the year's first.
    app.pay(&driver, &booking).await;
    assert_eq!(receipt(&app, &booking, &owner, "", None).await.number(), number(&app, 1));
}

#[tokio::test]
async fn numbers_are_issued_once_and_in_order() {
    let app = spawn_app().await;
    let (_, first_driver, first) = paid_booking(&app, "First").await;
    let (_, second_driver, second) = paid_booking(&app, "Second").await;

    assert_eq!(receipt(&app, &first, &first_driver, "", None).await.number(), number(&app, 1));
    assert_eq!(receipt(&app, &second, &second_driver, "", None).await.number(), number(&app, 2));
    assert_eq!(receipt(&app, &first, &first_driver, "", None).await.number(), number(&app, 1), "kept");
    assert_eq!(receipt(&app, &second, &second_driver, "?format=pdf", None).await.status, StatusCode::OK);
    assert_eq!(app.numbers("SELECT seq FROM receipts ORDER BY seq").await, [1, 2]);
}

#[tokio::test]
async fn concurrent_first_requests_end_with_one_number() {
    let app = spawn_app().await;
    let (owner, driver, booking) = paid_booking(&app, "Busy").await;
    let (_, other_driver, other) = paid_booking(&app, "Other").await;
    // On PostgreSQL, half the requests go to a second instance on the same database.
    let second = if on_postgres() { Some(app.another_instance().await) } else { None };

    let asks = (0..8).map(|i| {
        let (booking, user) = match i % 3 {
            0 => (&booking, &driver),
            1 => (&booking, &owner),
            _ => (&other, &other_driver),
        };
        let server = second.as_ref().filter(|_| i % 2 == 1).unwrap_or(&app);
        receipt(server, booking, user, if i % 2 == 0 { "" } else { "?format=pdf" }, None)
    });
    let answers = futures_util::future::join_all(asks).await;
    assert!(answers.iter().all(|a| a.status == StatusCode::OK));
    let mut numbers: Vec<String> = answers
        .iter()
        .map(|a| match a.headers["content-type"].to_str() {
            Ok("application/pdf") => pdf_text(&a.body)
                .split_once("Receipt ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or_default()
                .to_owned(),
            _ => a.number(),
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 2, "one number per booking: {numbers:?}");
    assert_eq!(app.numbers("SELECT seq FROM receipts ORDER BY seq").await, [1, 2], "no number lost to the race");
    assert_eq!(app.numbers("SELECT last_seq FROM receipt_counters").await, [2]);
    let (_, third_driver, third) = paid_booking(&app, "Third").await;
    assert_eq!(receipt(&app, &third, &third_driver, "", None).await.number(), number(&app, 3));
}

#[tokio::test]
async fn the_vehicle_that_parks_is_on_the_receipt() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let added = app.post("/api/me/vehicles", Some(&driver.token), json!({"plate": "ab-12 cd"})).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    let d = app.driveway(&owner, json!({"instantBook": true})).await;
    let booking = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    app.pay(&driver, &booking).await;
    let html = receipt(&app, &booking, &owner, "", None).await.text();
    assert!(html.contains("<th scope=\"row\">Vehicle</th><td>AB12CD</td>"), "{html}");
    let pdf = receipt(&app, &booking, &owner, "?format=pdf", None).await;
    assert!(pdf_text(&pdf.body).contains("AB12CD"));
}

/// A server whose prices include a 20 % VAT, under a named platform with an address.
async fn taxed_app() -> TestApp {
    spawn_app_with(|c| {
        c.tax_rate = TaxRate::new(2000).expect("a rate");
        c.tax_label = "VAT".to_owned();
        c.platform_name = "Parkway Europe".to_owned();
        c.platform_address = Some("1 Rue de la Paix, Paris".to_owned());
    })
    .await
}

#[tokio::test]
async fn the_page_shows_the_booking_its_payment_its_refund_and_the_tax_included() {
    let app = taxed_app().await;
    let (owner, driver, booking) = paid_booking(&app, "Quai \"Ouest\" & <garage>").await;
    let owner_name = app.get("/api/me", Some(&owner.token)).await.str("name");
    // Less than a day before the start the driver cancels and gets half back.
    app.clock.advance(Duration::hours(36));
    let driver = Session { token: app.sign_in_again(&driver).await, ..driver };
    let cancelled = app.put(&format!("/api/bookings/{booking}/cancel"), Some(&driver.token), json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    app.server().run_jobs_now().await;

    let page = receipt(&app, &booking, &driver, "", Some("text/html")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{html}");
    assert!(html.contains(&format!("<title>Receipt {} \u{2014} Parkway Europe</title>", number(&app, 1))), "{html}");
    assert!(html.contains("<style media=\"print\">"));
    assert!(html.contains("1 Rue de la Paix, Paris"));
    assert!(html.contains("<td>Quai &quot;Ouest&quot; &amp; &lt;garage&gt;</td>"), "escaped: {html}");
    assert!(!owner_name.is_empty() && html.contains(&format!("<td>{owner_name}</td>")), "the owner provides the space");
    assert!(html.contains("<th scope=\"row\">Time zone</th><td>"), "{html}");
    for line in [
        "<th scope=\"row\">Payment</th><td>$10.00</td>",
        "<th scope=\"row\">Refund</th><td>\u{2212}$5.00</td>",
        "<th scope=\"row\">Total paid</th><td>$5.00</td>",
        // 500 × 2000 / 12000 = 83.3: $0.83 of the $5.00 is VAT.
        "<th scope=\"row\">of which VAT 20 %</th><td>$0.83</td>",
    ] {
        assert!(html.contains(line), "{line} missing from {html}");
    }
    assert!(!html.contains("Vehicle"), "the driver named no vehicle");
    assert!(page.headers["content-security-policy"].to_str().expect("ascii").contains("default-src 'none'"));
    assert_eq!(page.headers["cache-control"], "private, no-store");

    // Without a tax rate there is no tax line.
    let untaxed = spawn_app().await;
    let (_, driver, booking) = paid_booking(&untaxed, "Oak St").await;
    let html = receipt(&untaxed, &booking, &driver, "", None).await.text();
    assert!(html.contains("<th scope=\"row\">Total paid</th><td>$10.00</td>") && !html.contains("of which"), "{html}");
}

#[tokio::test]
async fn the_pdf_holds_the_receipt_and_is_the_same_every_time() {
    let app = taxed_app().await;
    let (_, driver, booking) = paid_booking(&app, "Maple Court, gate B").await;

    let pdf = receipt(&app, &booking, &driver, "", Some("application/pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    let n = number(&app, 1);
    assert_eq!(pdf.headers["content-disposition"], format!("inline; filename=\"parkway-receipt-{n}.pdf\"").as_str());
    assert!(pdf.body.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf.body);
    assert!(text.contains(&format!("Receipt {n}")), "{text}");
    assert!(text.contains("Maple Court, gate B"), "{text}");
    assert!(text.contains("Parkway Europe"), "{text}");
    let line = |label: &str| text.lines().find(|l| l.trim_start().starts_with(label)).unwrap_or_default().to_owned();
    assert!(line("Total paid").trim_end().ends_with("$10.00"), "{text}");
    // 1000 × 2000 / 12000 = 166.7: $1.67.
    assert!(line("of which VAT 20 %").trim_end().ends_with("$1.67"), "{text}");

    // Asked again, by query rather than header: the very same bytes.
    let again = receipt(&app, &booking, &driver, "?format=pdf", None).await;
    assert_eq!(again.headers["content-type"], "application/pdf");
    assert!(again.body == pdf.body, "a receipt renders byte for byte the same on every request");
    // The query wins over Accept, and names only the two formats.
    let page = receipt(&app, &booking, &driver, "?format=html", Some("application/pdf")).await;
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    let bad = app.get(&format!("/api/bookings/{booking}/receipt?format=docx"), Some(&driver.token)).await;
    assert_eq!((bad.status, bad.code()), (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed));
}

#[tokio::test]
async fn an_extended_stay_has_one_receipt_with_each_payment_on_it() {
    let app = spawn_app().await;
    let (owner, driver, booking) = paid_booking(&app, "Elm St").await;
    let first = app.get(&format!("/api/bookings/{booking}"), Some(&driver.token)).await.booking();
    let extended = app
        .post(
            &format!("/api/bookings/{booking}/extend"),
            Some(&driver.token),
            json!({"endTime": crate::helpers::rfc(first.end_time + Duration::minutes(30))}),
        )
        .await;
    assert_eq!(extended.status, StatusCode::CREATED, "{:?}", extended.body);
    let extension = extended.str("id");
    assert_eq!(app.pay(&driver, &extension).await.status, StatusCode::OK);

    let html = receipt(&app, &booking, &owner, "", None).await.text();
    for line in [
        "<th scope=\"row\">Payment</th><td>$10.00</td>",
        "<th scope=\"row\">Payment</th><td>$5.00</td>",
        "<th scope=\"row\">Total paid</th><td>$15.00</td>",
    ] {
        assert!(html.contains(line), "{line} missing from {html}");
    }
    // The extension's own id leads to the same receipt, which shows the stay's new end.
    let same = receipt(&app, &extension, &driver, "", None).await;
    assert_eq!(same.number(), number(&app, 1));
    let end = crate::helpers::rfc(first.end_time + Duration::minutes(30));
    let pdf = pdf_text(&receipt(&app, &booking, &driver, "?format=pdf", None).await.body);
    assert!(pdf.contains("$15.00"), "{pdf} (ends {end})");
}
