//! The receipt as one self-contained HTML page: no scripts, no requests for anything else,
//! its styles inline (one for the screen, one for paper), every text escaped.

use super::{Row, Sheet};
use std::fmt::Write;

/// The content security policy of the page: its inline styles and nothing else, and no one
/// may frame it.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How the page looks on a screen: a sheet of paper in the middle.
const SCREEN_STYLE: &str = "\
body { margin: 0; padding: 2rem 1rem; background: #f3f4f6; color: #111827; \
font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; }
main { max-width: 42rem; margin: 0 auto; padding: 2.5rem; background: #fff; border-radius: 0.5rem; \
box-shadow: 0 1px 3px rgb(0 0 0 / 0.15); }
header { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 1rem; margin-bottom: 2rem; }
h1 { margin: 0; font-size: 1.75rem; }
address { font-style: normal; text-align: right; }
.issuer { font-weight: 700; }
table { width: 100%; border-collapse: collapse; margin-bottom: 2rem; }
caption { text-align: left; font-weight: 700; font-size: 1.1rem; padding-bottom: 0.5rem; }
th, td { padding: 0.4rem 0; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { text-align: left; font-weight: 400; color: #4b5563; padding-right: 1rem; }
.details th { width: 12rem; }
.details td { overflow-wrap: anywhere; }
.money td, .money thead th:last-child { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; \
padding-right: 0; }
.money thead th { font-size: 0.875rem; text-transform: uppercase; letter-spacing: 0.04em; }
.money .total th, .money .total td { font-weight: 700; color: #111827; border-top: 2px solid #111827; \
border-bottom: 0; }
.money .tax th, .money .tax td { border-bottom: 0; padding-top: 0; }
footer { color: #4b5563; font-size: 0.875rem; }
@media (max-width: 32rem) { main { padding: 1.25rem; } address { text-align: left; } .details th { width: auto; } }
";

/// How it prints: black on white, the sheet's full width, no shadow, one page when it fits.
const PRINT_STYLE: &str = "\
@page { size: A4; margin: 18mm; }
body { background: #fff; padding: 0; font-size: 11pt; }
main { max-width: none; padding: 0; box-shadow: none; border-radius: 0; }
th, footer { color: #000; }
th, td { border-color: #999; }
table, tr { break-inside: avoid; }
";

/// The whole page.
pub fn render(sheet: &Sheet) -> String {
    let mut page = String::with_capacity(8 * 1024);
    let title = format!("{} \u{2014} {}", sheet.heading, sheet.issuer.first().map_or("", String::as_str));
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(page, "<title>{}</title>", escape(&title));
    let _ = writeln!(page, "<style>\n{SCREEN_STYLE}</style>");
    let _ = writeln!(page, "<style media=\"print\">\n{PRINT_STYLE}</style>");
    page.push_str("</head>\n<body>\n<main>\n<header>\n");
    let _ = writeln!(page, "<h1>{}</h1>", escape(&sheet.heading));
    page.push_str("<address>");
    for (i, line) in sheet.issuer.iter().enumerate() {
        if i == 0 {
            let _ = write!(page, "<span class=\"issuer\">{}</span>", escape(line));
        } else {
            let _ = write!(page, "<br>{}", escape(line));
        }
    }
    page.push_str("</address>\n</header>\n");

    page.push_str("<table class=\"details\">\n<caption>Booking</caption>\n<tbody>\n");
    for row in &sheet.details {
        row_html(&mut page, row, None);
    }
    page.push_str("</tbody>\n</table>\n");

    page.push_str("<table class=\"money\">\n<caption>Payments</caption>\n");
    page.push_str("<thead>\n<tr><th scope=\"col\">Item</th><th scope=\"col\">Amount</th></tr>\n</thead>\n<tbody>\n");
    for row in &sheet.lines {
        row_html(&mut page, row, None);
    }
    page.push_str("</tbody>\n<tfoot>\n");
    row_html(&mut page, &sheet.total, Some("total"));
    if let Some(tax) = &sheet.tax {
        row_html(&mut page, tax, Some("tax"));
    }
    page.push_str("</tfoot>\n</table>\n");
    let _ = writeln!(page, "<footer><p>{}</p></footer>", escape(&sheet.footer));
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

fn row_html(page: &mut String, row: &Row, class: Option<&str>) {
    let class = class.map(|c| format!(" class=\"{c}\"")).unwrap_or_default();
    let _ =
        writeln!(page, "<tr{class}><th scope=\"row\">{}</th><td>{}</td></tr>", escape(&row.label), escape(&row.value));
}

/// Text made safe inside elements and quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipts::tests::example;

    #[test]
    fn a_complete_page_with_its_language_title_and_headed_tables() {
        let page = render(&Sheet::of(&example()));
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{page}");
        assert!(page.contains("<title>Receipt 2027-000042 \u{2014} Parkway</title>"));
        assert!(page.contains("<style media=\"print\">"));
        assert!(page.contains("<th scope=\"col\">Amount</th>"));
        assert!(page.contains("<tr><th scope=\"row\">Refund</th><td>\u{2212}$5.00</td></tr>"));
        assert!(page.contains("<tr class=\"tax\"><th scope=\"row\">of which VAT 20 %</th><td>$2.50</td></tr>"));
        assert!(page.ends_with("</html>\n"));
        assert!(!page.contains("<script"), "no scripts");
    }

    #[test]
    fn every_text_is_escaped() {
        let page = render(&Sheet::of(&example()));
        assert!(page.contains("<td>Ada &lt;Lovelace&gt; &amp; Co</td>"), "{page}");
        assert_eq!(escape("\"'<>&"), "&quot;&#39;&lt;&gt;&amp;");
    }
}
