//! The web front end on port 0 in front of a test stack, and a small
//! browser over HTTP: it keeps the session cookie, follows nothing by
//! itself, and fills in each form's CSRF token from the page it came from.

use reqwest::{header, redirect::Policy, StatusCode};

use super::Stack;

/// The key the test front end signs its cookies with.
pub const WEB_KEY: &[u8] = b"web-test-session-key-0123456789abcdef";

/// The web front end for `stack`'s gateway; stopped when dropped.
pub struct Web {
    pub url: String,
    _stop: roundabout_support::shutdown::Trigger,
}

impl Web {
    pub async fn start(stack: &Stack) -> Self {
        Self::start_with(stack, |_| {}).await
    }

    /// In front of the gateway at `gateway_url` (a stand-in, for tests of
    /// how the front end reads the gateway's answers), limits raised as for
    /// [`Web::start_with`].
    pub async fn start_for(gateway_url: &str, change: impl FnOnce(&mut roundabout_web::Config)) -> Self {
        Self::start_config(gateway_url, change).await
    }

    /// With the configuration changed by `change` first. The request-rate
    /// limits are raised far above what a test sends (every test visitor
    /// comes from 127.0.0.1), unless `change` sets its own.
    pub async fn start_with(stack: &Stack, change: impl FnOnce(&mut roundabout_web::Config)) -> Self {
        Self::start_config(&stack.gateway_url, change).await
    }

    async fn start_config(gateway_url: &str, change: impl FnOnce(&mut roundabout_web::Config)) -> Self {
        let mut config = roundabout_web::Config::new(gateway_url, WEB_KEY);
        let unlimited = roundabout_web::limits::RateLimit::new(1_000_000, 1_000_000);
        config.rate_limits = roundabout_web::limits::RateLimits {
            pages: unlimited,
            sign_in: unlimited,
        };
        change(&mut config);
        let app = roundabout_web::build(config).await.unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        Self {
            url,
            _stop: app.spawn(),
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.url)
    }
}

/// An answer: status, where it redirects, the page.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    /// `Retry-After`, when sent.
    pub retry_after: Option<String>,
    /// The page's Content-Security-Policy.
    pub csp: Option<String>,
    /// `traceresponse`: the trace the request was served in.
    pub traceresponse: Option<String>,
    pub body: String,
}

impl Page {
    /// The value of the page's first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        hidden(&self.body, "csrf").unwrap_or_default()
    }

    /// The page's text without tags, spaces squeezed (for "contains" checks).
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in self.body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&#39;", "'")
            .replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Every hidden input of the page, in order (a form's carried fields).
    pub fn hidden_fields(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
            rest = &rest[i + 27..];
            let name = rest[..rest.find('"').unwrap()].to_string();
            out.push((
                name.clone(),
                hidden(&self.body[self.body.len() - rest.len() - 27..], &name).unwrap_or_default(),
            ));
        }
        out
    }

    /// The first link whose address starts with `prefix`, unescaped.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let marker = format!("href=\"{prefix}");
        let start = self.body.find(&marker)? + 6;
        let end = self.body[start..].find('"')?;
        Some(
            self.body[start..start + end]
                .replace("&amp;", "&")
                .replace("&#38;", "&"),
        )
    }

    #[track_caller]
    pub fn assert_has(&self, text: &str) {
        assert!(self.text().contains(text), "{text:?} not on the page:\n{}", self.text());
    }
}

/// The value of the hidden input `name` in `html`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&#43;", "+").replace("&#x2F;", "/"))
}

/// Every `/assets/…` URL a page links to (stylesheet, scripts, icon).
pub fn asset_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let url = &rest[..rest.find('"').unwrap_or(0)];
            if url.starts_with("/assets/") && !urls.iter().any(|u| u == url) {
                urls.push(url.to_string());
            }
        }
    }
    urls
}

/// The URL of the asset `stem.….ext` a page links to.
pub fn asset_url(html: &str, stem: &str, ext: &str) -> String {
    asset_urls(html)
        .into_iter()
        .find(|u| u.starts_with(&format!("/assets/{stem}.")) && u.ends_with(&format!(".{ext}")))
        .unwrap_or_else(|| panic!("no /assets/{stem}.….{ext} in the page"))
}

#[derive(Clone)]
pub struct Browser {
    pub base: String,
    http: reqwest::Client,
    /// `roundabout_session=…`
    pub cookie: Option<String>,
    /// Every `Set-Cookie` header seen.
    pub set_cookies: Vec<String>,
    /// Sent as `X-Forwarded-For` (the test front end trusts loopback as
    /// its proxy, so this is the visitor's address it sees).
    pub forwarded_for: Option<String>,
}

impl Browser {
    /// A browser for the front end at `base` (`http://127.0.0.1:3000`),
    /// with no cookie yet.
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
            cookie: None,
            set_cookies: Vec::new(),
            forwarded_for: None,
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = match &self.cookie {
            Some(c) => req.header(header::COOKIE, c),
            None => req,
        };
        let req = match &self.forwarded_for {
            Some(v) => req.header("x-forwarded-for", v),
            None => req,
        };
        let res = req.send().await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap().to_string();
            self.cookie = Some(v.split(';').next().unwrap().to_string());
            self.set_cookies.push(v);
        }
        Page {
            status: res.status(),
            location: res
                .headers()
                .get(header::LOCATION)
                .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned()),
            retry_after: res
                .headers()
                .get(header::RETRY_AFTER)
                .map(|l| l.to_str().unwrap().to_string()),
            csp: res
                .headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .map(|l| l.to_str().unwrap().to_string()),
            traceresponse: res
                .headers()
                .get("traceresponse")
                .map(|l| l.to_str().unwrap().to_string()),
            body: res.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// Posts `fields` to `path` as a form, exactly as given.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.send(req).await
    }

    /// Posts a `multipart/form-data` form to `path`: `fields` as text
    /// parts, then `files` as (input name, file name, content).
    pub async fn post_multipart(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &str)]) -> Page {
        let boundary = "----roundabout-test-boundary-7d1f";
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        for (k, name, content) in files {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.send(req).await
    }

    /// Posts `fields` to `path` with the CSRF token of `from`.
    pub async fn submit(&mut self, from: &Page, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = from.csrf();
        assert!(!csrf.is_empty(), "no CSRF token on the page:\n{}", from.body);
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Submits the form of `from` as it stands: its hidden fields (a
    /// check-your-answers page carries the answers so) with its CSRF token.
    pub async fn submit_hidden(&mut self, from: &Page, path: &str) -> Page {
        let fields = from.hidden_fields();
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .filter(|(k, _)| k != "csrf")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.submit(from, path, &fields).await
    }

    /// GETs `path`, following redirects on this site.
    pub async fn visit(&mut self, path: &str) -> Page {
        let mut page = self.get(path).await;
        for _ in 0..5 {
            match (page.status.is_redirection(), page.location.clone()) {
                (true, Some(to)) => page = self.get(&to).await,
                _ => break,
            }
        }
        page
    }

    /// Follows a redirect answer.
    pub async fn follow(&mut self, page: &Page) -> Page {
        assert!(
            page.status.is_redirection(),
            "not a redirect: {} {}",
            page.status,
            page.text()
        );
        self.visit(page.location.as_deref().unwrap()).await
    }

    /// Signs in through the form; returns where it landed.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/sign-in").await;
        let res = self
            .submit(&form, "/sign-in", &[("email", email), ("password", password)])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        self.follow(&res).await
    }
}

/// A stand-in for the gateway: answers each request with what `answer`
/// makes of its body, and keeps every request's `X-Forwarded-For`.
pub struct FakeProcessor {
    pub url: String,
    pub forwarded_for: std::sync::Arc<std::sync::Mutex<Vec<Option<String>>>>,
}

/// A stand-in's answer: status, extra headers, JSON body.
pub type FakeAnswer = (u16, Vec<(&'static str, String)>, serde_json::Value);

impl FakeProcessor {
    pub async fn start(answer: impl Fn(&serde_json::Value) -> FakeAnswer + Send + Sync + 'static) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let answer = std::sync::Arc::new(answer);
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let answer = answer.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    // One request per connection: read the head, then the body.
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = conn.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let header = |name: &str| {
                        head.lines()
                            .filter_map(|l| l.split_once(':'))
                            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_string())
                    };
                    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                    while buf.len() < head_end + length {
                        let n = conn.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    log.lock().unwrap().push(header("x-forwarded-for"));
                    let body: serde_json::Value = serde_json::from_slice(&buf[head_end..]).unwrap_or_default();
                    let (status, headers, json) = answer(&body);
                    let json = json.to_string();
                    let mut res = format!(
                        "HTTP/1.1 {status} Fake\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                        json.len()
                    );
                    for (k, v) in headers {
                        res.push_str(&format!("{k}: {v}\r\n"));
                    }
                    res.push_str("\r\n");
                    res.push_str(&json);
                    let _ = conn.write_all(res.as_bytes()).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        Self {
            url,
            forwarded_for: seen,
        }
    }
}
