//! The web front end on port 0 in front of a test stack, and a small
//! browser over HTTP: it keeps the session cookie, follows nothing by
//! itself, and fills in each form's CSRF token from the page it came from.

#![allow(dead_code, reason = "each test file uses a different part")]

use reqwest::{header, redirect::Policy, StatusCode};

use crate::common::Stack;

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

    /// With the configuration changed by `change` first. The request-rate
    /// limits are raised far above what a test sends (every test visitor
    /// comes from 127.0.0.1), unless `change` sets its own.
    pub async fn start_with(stack: &Stack, change: impl FnOnce(&mut roundabout_web::Config)) -> Self {
        let mut config = roundabout_web::Config::new(&stack.gateway_url, WEB_KEY);
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
        Browser {
            base: self.url.clone(),
            http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
            cookie: None,
            set_cookies: Vec::new(),
        }
    }
}

/// An answer: status, where it redirects, the page.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    /// The page's Content-Security-Policy.
    pub csp: Option<String>,
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

pub struct Browser {
    pub base: String,
    http: reqwest::Client,
    /// `roundabout_session=…`
    pub cookie: Option<String>,
    /// Every `Set-Cookie` header seen.
    pub set_cookies: Vec<String>,
}

impl Browser {
    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = match &self.cookie {
            Some(c) => req.header(header::COOKIE, c),
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
                .map(|l| l.to_str().unwrap().to_string()),
            csp: res
                .headers()
                .get(header::CONTENT_SECURITY_POLICY)
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
