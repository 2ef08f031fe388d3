//! GraphiQL at `/graphiql`, in development only, served whole from the
//! gateway: the page and its four files (GraphiQL's script and stylesheet,
//! React and ReactDOM), which `web/build-assets.mjs` copies from the npm
//! packages into `web/dist/graphiql/`. Nothing comes from a CDN, so the
//! page works offline and on a network that blocks third-party scripts.
//!
//! `GRAPHIQL_DIR` names the folder (`roundabout up` sets it). Without it,
//! or with files missing, `/graphiql` says what to install instead.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{
    extract::{Path as UrlPath, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};

/// The files the page loads, with their content types.
const FILES: &[(&str, &str)] = &[
    ("graphiql.min.js", "text/javascript; charset=utf-8"),
    ("graphiql.min.css", "text/css; charset=utf-8"),
    ("react.production.min.js", "text/javascript; charset=utf-8"),
    ("react-dom.production.min.js", "text/javascript; charset=utf-8"),
];

/// GraphiQL's files, read once at start.
#[derive(Clone)]
pub struct Assets {
    files: Arc<Vec<(&'static str, &'static str, Vec<u8>)>>,
    /// Why the files could not be read, shown on the page instead.
    missing: Option<Arc<str>>,
}

impl Assets {
    /// Reads the files from `dir` (`None`: not configured).
    pub fn load(dir: Option<&Path>) -> Assets {
        let Some(dir) = dir else {
            return Assets::missing("GRAPHIQL_DIR is not set".into());
        };
        let mut files = Vec::with_capacity(FILES.len());
        for (name, content_type) in FILES {
            let path: PathBuf = dir.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => files.push((*name, *content_type, bytes)),
                Err(e) => return Assets::missing(format!("{} cannot be read ({e})", path.display())),
            }
        }
        Assets {
            files: Arc::new(files),
            missing: None,
        }
    }

    fn missing(why: String) -> Assets {
        tracing::warn!(%why, "GraphiQL's files are not available; /graphiql will say how to install them");
        Assets {
            files: Arc::new(Vec::new()),
            missing: Some(why.into()),
        }
    }
}

/// `/graphiql` and `/graphiql/assets/{file}`.
pub fn router(assets: Assets) -> Router {
    Router::new()
        .route("/graphiql", get(page))
        .route("/graphiql/assets/{file}", get(file))
        .with_state(assets)
}

/// The page: GraphiQL against `/graphql` on the same origin, with the
/// documentation explorer ready to open.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Roundabout GraphQL</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
<style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphiql/assets/react.production.min.js"></script>
<script src="/graphiql/assets/react-dom.production.min.js"></script>
<script src="/graphiql/assets/graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).toString() });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true })
  );
</script>
</body>
</html>
"#;

async fn page(State(a): State<Assets>) -> Response {
    match &a.missing {
        None => Html(PAGE).into_response(),
        Some(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(format!(
                "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>GraphiQL is not installed</title>\
                 <p>GraphiQL's files are not installed here: {}.</p>\
                 <p>Run <code>npm ci &amp;&amp; node build-assets.mjs</code> in <code>web/</code> \
                 (<code>roundabout up</code> does this) and set <code>GRAPHIQL_DIR</code> to <code>web/dist/graphiql</code>.</p>",
                html_escape(why)
            )),
        )
            .into_response(),
    }
}

async fn file(State(a): State<Assets>, UrlPath(name): UrlPath<String>) -> Response {
    match a.files.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            ],
            bytes.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{to_bytes, Body};
    use tower::ServiceExt;

    /// A fresh folder under the system's temporary folder.
    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("roundabout-graphiql-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    async fn get(app: &Router, path: &str) -> (StatusCode, String, String) {
        let res = app
            .clone()
            .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ct = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (status, ct, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_page_and_its_files_are_served_from_the_folder() {
        let dir = temp_dir();
        for (name, _) in FILES {
            std::fs::write(dir.as_path().join(name), format!("/* {name} */")).unwrap();
        }
        let app = router(Assets::load(Some(dir.as_path())));
        let (status, ct, body) = get(&app, "/graphiql").await;
        assert_eq!(status, StatusCode::OK);
        assert!(ct.starts_with("text/html"), "{ct}");
        assert!(!body.contains("unpkg") && !body.contains("https://"), "{body}");
        for (name, _) in FILES {
            assert!(body.contains(&format!("/graphiql/assets/{name}")), "{name}");
        }
        let (status, ct, body) = get(&app, "/graphiql/assets/graphiql.min.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ct, "text/javascript; charset=utf-8");
        assert_eq!(body, "/* graphiql.min.js */");
        let (status, _, _) = get(&app, "/graphiql/assets/..%2F..%2Fetc%2Fpasswd").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn without_the_files_the_page_says_what_to_install() {
        let dir = temp_dir();
        let app = router(Assets::load(Some(dir.as_path())));
        let (status, _, body) = get(&app, "/graphiql").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("npm ci"), "{body}");
        assert!(body.contains("graphiql.min.js cannot be read"), "{body}");
        std::fs::remove_dir_all(&dir).unwrap();
        let app = router(Assets::load(None));
        let (_, _, body) = get(&app, "/graphiql").await;
        assert!(body.contains("GRAPHIQL_DIR is not set"), "{body}");
    }
}
