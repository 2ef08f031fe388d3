//! The front end's static files: the stylesheet and GOV.UK Frontend's
//! script built into `web/dist` (`build-assets.mjs`), and the site's own
//! scripts and icon compiled into the binary.
//!
//! Each file is read once at start, named by a hash of its content
//! (`/assets/app.3f2a9c1b0d.css`) and compressed ahead of time with Brotli
//! and gzip. A name changes whenever the content does, so the files are
//! served with a year-long `immutable` cache: a resident's browser
//! downloads them once, not on every page. Pages themselves stay
//! `no-store` (they hold personal data) and are not compressed, so a page
//! that reflects input next to a CSRF token gives nothing away by its
//! size (BREACH).

use std::{
    collections::HashMap,
    io::Write,
    path::Path,
    sync::{Arc, OnceLock},
};

use axum::{
    body::Bytes,
    extract::{Path as UrlPath, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use sha2::{Digest, Sha256};

/// The URL prefix every asset is served under.
pub const PREFIX: &str = "/assets/";

/// How long a browser may keep an asset: a year, never revalidated (the
/// name changes with the content).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One file, ready to serve in each encoding.
struct Asset {
    content_type: &'static str,
    identity: Bytes,
    gzip: Bytes,
    brotli: Bytes,
    etag: HeaderValue,
}

/// Every asset by its content-named file name, and the URL of each
/// logical name (`app.css` → `/assets/app.3f2a9c1b0d.css`).
#[derive(Default)]
pub struct Assets {
    files: HashMap<String, Asset>,
    urls: HashMap<&'static str, String>,
}

/// A file the site serves: its logical name, type and where it comes from.
struct Source {
    name: &'static str,
    content_type: &'static str,
    content: Content,
}

enum Content {
    /// Built into the assets folder by `build-assets.mjs`.
    Built,
    /// Compiled into the binary.
    Embedded(&'static [u8]),
}

const SOURCES: &[Source] = &[
    Source {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        content: Content::Built,
    },
    Source {
        name: "govuk-frontend.min.js",
        content_type: "text/javascript; charset=utf-8",
        content: Content::Built,
    },
    // After GOV.UK Frontend's script: it imports it by its content name.
    Source {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        content: Content::Embedded(include_bytes!("../static/app.js")),
    },
    Source {
        name: "card.js",
        content_type: "text/javascript; charset=utf-8",
        content: Content::Embedded(include_bytes!("../static/card.js")),
    },
    Source {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        content: Content::Embedded(include_bytes!("../static/favicon.svg")),
    },
];

impl Assets {
    /// Reads, names and compresses every asset; a built file missing from
    /// `dir` is left out with a warning (pages then have no styles).
    pub fn load(dir: &Path) -> Self {
        let mut assets = Self::default();
        for source in SOURCES {
            let bytes = match source.content {
                Content::Embedded(b) => b.to_vec(),
                Content::Built => match std::fs::read(dir.join(source.name)) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(
                            file = %dir.join(source.name).display(),
                            error = %e,
                            "an asset is missing: run `node build-assets.mjs` in web/ (after `npm ci`)"
                        );
                        continue;
                    }
                },
            };
            let bytes = assets.link(bytes);
            assets.add(source, bytes);
        }
        assets
    }

    /// Points references to other assets at their content names.
    fn link(&self, bytes: Vec<u8>) -> Vec<u8> {
        let Ok(text) = String::from_utf8(bytes.clone()) else {
            return bytes;
        };
        let mut text = text;
        for (name, url) in &self.urls {
            text = text.replace(&format!("{PREFIX}{name}'"), &format!("{url}'"));
        }
        text.into_bytes()
    }

    fn add(&mut self, source: &Source, bytes: Vec<u8>) {
        let digest = Sha256::digest(&bytes);
        let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
        let file = match source.name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{}.{hash}", source.name),
        };
        let etag = HeaderValue::from_str(&format!("\"{hash}\"")).unwrap_or(HeaderValue::from_static("\"0\""));
        // An encoding that saves nothing is not offered (tiny files).
        let smaller = |packed: Vec<u8>| if packed.len() < bytes.len() { packed } else { Vec::new() };
        let asset = Asset {
            content_type: source.content_type,
            gzip: smaller(gzip(&bytes)).into(),
            brotli: smaller(brotli(&bytes)).into(),
            identity: bytes.into(),
            etag,
        };
        self.urls.insert(source.name, format!("{PREFIX}{file}"));
        self.files.insert(file, asset);
    }

    /// The URL of an asset by its logical name (`app.css`).
    pub fn url(&self, name: &str) -> String {
        self.urls
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("{PREFIX}{name}"))
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to memory cannot fail.
    let _ = out.write_all(bytes);
    out.finish().unwrap_or_default()
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut input = bytes;
    match brotli::BrotliCompress(&mut input, &mut out, &params) {
        Ok(_) => out,
        Err(_) => Vec::new(),
    }
}

static CURRENT: OnceLock<Arc<Assets>> = OnceLock::new();

/// The assets the templates link to: those of the first front end started
/// in this process (every front end of a process serves the same files).
pub fn install(assets: Arc<Assets>) -> Arc<Assets> {
    CURRENT.get_or_init(|| assets).clone()
}

/// The URL of an asset by its logical name, for templates.
pub fn url(name: &str) -> String {
    match CURRENT.get() {
        Some(a) => a.url(name),
        None => format!("{PREFIX}{name}"),
    }
}

/// `GET /assets/{file}`.
pub fn router(assets: Arc<Assets>) -> Router {
    Router::new().route("/assets/{file}", get(serve)).with_state(assets)
}

/// The encodings a request accepts, Brotli preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// Reads `Accept-Encoding` (`q=0` refuses an encoding).
pub fn negotiate(headers: &HeaderMap) -> Encoding {
    let mut br = false;
    let mut gz = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                let p = p.trim().replace(' ', "");
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match coding.as_str() {
                "br" => br = true,
                "gzip" | "x-gzip" => gz = true,
                "*" => {
                    br = true;
                    gz = true;
                }
                _ => {}
            }
        }
    }
    if br {
        Encoding::Brotli
    } else if gz {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

async fn serve(State(assets): State<Arc<Assets>>, UrlPath(file): UrlPath<String>, headers: HeaderMap) -> Response {
    let Some(asset) = assets.files.get(&file) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Not found",
        )
            .into_response();
    };
    let mut res_headers = HeaderMap::new();
    res_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    res_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res_headers.insert(header::ETAG, asset.etag.clone());
    let revalidating = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag || t.trim() == "*"));
    if revalidating {
        return (StatusCode::NOT_MODIFIED, res_headers).into_response();
    }
    res_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    let body = match negotiate(&headers) {
        Encoding::Brotli if !asset.brotli.is_empty() => {
            res_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
            asset.brotli.clone()
        }
        Encoding::Brotli | Encoding::Gzip if !asset.gzip.is_empty() => {
            res_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            asset.gzip.clone()
        }
        _ => asset.identity.clone(),
    };
    (res_headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Encoding {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        negotiate(&h)
    }

    #[test]
    fn brotli_is_preferred_and_q_zero_refuses() {
        assert_eq!(accept("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(accept("gzip"), Encoding::Gzip);
        assert_eq!(accept("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(accept("br;q=0, gzip; q=0"), Encoding::Identity);
        assert_eq!(accept("identity"), Encoding::Identity);
        assert_eq!(accept("*"), Encoding::Brotli);
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn names_follow_the_content_and_references_are_linked() {
        let mut a = Assets::default();
        a.add(&SOURCES[1], b"export function initAll () {}".to_vec());
        let js = a.url("govuk-frontend.min.js");
        assert!(
            js.starts_with("/assets/govuk-frontend.min.") && js.ends_with(".js"),
            "{js}"
        );
        assert_ne!(js, "/assets/govuk-frontend.min.js");
        let linked = a.link(b"import { initAll } from '/assets/govuk-frontend.min.js'".to_vec());
        assert_eq!(
            String::from_utf8(linked).unwrap(),
            format!("import {{ initAll }} from '{js}'")
        );

        let mut b = Assets::default();
        b.add(&SOURCES[1], b"export function initAll () { /* changed */ }".to_vec());
        assert_ne!(
            b.url("govuk-frontend.min.js"),
            js,
            "a change of content changes the name"
        );
    }

    #[test]
    fn each_encoding_decodes_to_the_file() {
        use std::io::Read;
        let text = "body { color: #0b0c0c } ".repeat(200);
        let mut a = Assets::default();
        a.add(&SOURCES[0], text.clone().into_bytes());
        let asset = a.files.values().next().unwrap();
        assert!(asset.gzip.len() < text.len() / 5 && asset.brotli.len() < text.len() / 5);
        let mut out = String::new();
        flate2::read::GzDecoder::new(&asset.gzip[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &asset.brotli[..], &mut out).unwrap();
        assert_eq!(out, text.as_bytes());
    }
}
