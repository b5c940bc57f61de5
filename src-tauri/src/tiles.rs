//! The street map kept on the device: a PMTiles archive at `map.pmtiles` in the app's data
//! folder, served to the map on the app's `parkway-tiles` scheme in byte ranges, as the server
//! serves its own at `/tiles/map.pmtiles`. With one there, the map has streets without any
//! network (the page looks for it at start, before the server's).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use tauri::http::{HeaderValue, Response, StatusCode, header};

/// The scheme the page reads the archive on.
pub const SCHEME: &str = "parkway-tiles";
/// The archive's name in the data folder.
pub const FILE: &str = "map.pmtiles";
/// The largest range answered at once: a reader asks for 16 KB to a few hundred KB.
const MAX_RANGE: u64 = 8 * 1024 * 1024;

/// The answer to `method path` with an optional `Range` header, from the archive in `dir`.
pub fn answer(dir: &Path, method: &str, path: &str, range: Option<&str>) -> Response<Vec<u8>> {
    // The page (tauri://localhost) reads this scheme across origins: a `Range` header can need
    // a preflight, and the reader looks at the range's headers.
    if method == "OPTIONS" {
        return with_cors(status(StatusCode::NO_CONTENT, ""));
    }
    if path.trim_start_matches('/') != FILE {
        return with_cors(status(StatusCode::NOT_FOUND, "no such file"));
    }
    let file = dir.join(FILE);
    let Ok(mut f) = std::fs::File::open(&file) else {
        return with_cors(status(StatusCode::NOT_FOUND, "no street map on this device"));
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let (start, end) = match range.map(|r| parse_range(r, len)) {
        None => (0, len.saturating_sub(1)),
        Some(Some(span)) => span,
        Some(None) => {
            let mut r = status(StatusCode::RANGE_NOT_SATISFIABLE, "");
            r.headers_mut().insert(header::CONTENT_RANGE, value(&format!("bytes */{len}")));
            return with_cors(r);
        }
    };
    let end = end.min(start + MAX_RANGE - 1);
    let mut body = vec![0; usize::try_from(end + 1 - start).unwrap_or(0)];
    if len > 0 && (f.seek(SeekFrom::Start(start)).is_err() || f.read_exact(&mut body).is_err()) {
        return with_cors(status(StatusCode::INTERNAL_SERVER_ERROR, "the street map could not be read"));
    }
    let mut r = Response::new(if len == 0 { Vec::new() } else { body });
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if range.is_some() {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        r.headers_mut().insert(header::CONTENT_RANGE, value(&format!("bytes {start}-{end}/{len}")));
    }
    with_cors(r)
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` within a file of `len` bytes, as `(first, last)`;
/// `None` when nothing of it is in the file or it does not read.
fn parse_range(header: &str, len: u64) -> Option<(u64, u64)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (len.checked_sub(n.min(len))?, len.checked_sub(1)?)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() { len.checked_sub(1)? } else { b.parse::<u64>().ok()?.min(len.checked_sub(1)?) };
        (start, end)
    };
    (start < len && start <= end).then_some((start, end))
}

fn status(code: StatusCode, text: &str) -> Response<Vec<u8>> {
    let mut r = Response::new(text.as_bytes().to_vec());
    *r.status_mut() = code;
    r
}

fn value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""))
}

fn with_cors(mut r: Response<Vec<u8>>) -> Response<Vec<u8>> {
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("range"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("content-range, content-length"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive() -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().expect("dir");
        let mut bytes = b"PMTiles\x03".to_vec();
        bytes.extend((0..1000u32).map(|i| (i % 251) as u8));
        std::fs::write(dir.path().join(FILE), &bytes).expect("written");
        (dir, bytes)
    }

    #[test]
    fn ranges_are_answered_as_a_pmtiles_reader_asks() {
        let (dir, bytes) = archive();
        let head = answer(dir.path(), "GET", "/map.pmtiles", Some("bytes=0-6"));
        assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(head.body().as_slice(), b"PMTiles");
        assert_eq!(head.headers()[header::CONTENT_RANGE], format!("bytes 0-6/{}", bytes.len()).as_str());
        // The reader's first question asks for more than a small archive holds.
        let first = answer(dir.path(), "GET", "/map.pmtiles", Some("bytes=0-16383"));
        assert_eq!(first.body().as_slice(), bytes.as_slice());
        let middle = answer(dir.path(), "GET", "/map.pmtiles", Some("bytes=100-109"));
        assert_eq!(middle.body().as_slice(), &bytes[100..110]);
        let tail = answer(dir.path(), "GET", "/map.pmtiles", Some("bytes=-5"));
        assert_eq!(tail.body().as_slice(), &bytes[bytes.len() - 5..]);
        let past = answer(dir.path(), "GET", "/map.pmtiles", Some("bytes=5000-5010"));
        assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(past.headers()[header::CONTENT_RANGE], format!("bytes */{}", bytes.len()).as_str());
        let whole = answer(dir.path(), "GET", "/map.pmtiles", None);
        assert_eq!((whole.status(), whole.body().len()), (StatusCode::OK, bytes.len()));
        assert_eq!(whole.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    }

    #[test]
    fn nothing_else_is_served() {
        let (dir, _) = archive();
        assert_eq!(answer(dir.path(), "GET", "/parkway-app.db", None).status(), StatusCode::NOT_FOUND);
        assert_eq!(answer(dir.path(), "GET", "/../map.pmtiles", None).status(), StatusCode::NOT_FOUND);
        let empty = tempfile::tempdir().expect("dir");
        assert_eq!(answer(empty.path(), "GET", "/map.pmtiles", None).status(), StatusCode::NOT_FOUND);
        assert_eq!(answer(dir.path(), "OPTIONS", "/map.pmtiles", None).status(), StatusCode::NO_CONTENT);
        let garbled = answer(dir.path(), "GET", "/map.pmtiles", Some("bytes=x-y"));
        assert_eq!(garbled.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    }
}
