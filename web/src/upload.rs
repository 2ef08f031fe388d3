//! Forms that send files (`enctype="multipart/form-data"`): every part read
//! as text, the CSRF token checked as for [`crate::form::CsrfForm`].

use axum::extract::{FromRequest, Multipart, Request};

use crate::{error::PageError, form::FormData, session::Session, AppState};

/// A posted multipart form whose CSRF token matches the session's. Text
/// fields and files alike are in [`UploadForm::fields`] under their field
/// name (a file as its text); [`UploadForm::files`] names the fields that
/// carried a chosen file, with its file name.
pub struct UploadForm {
    pub fields: FormData,
    pub files: Vec<(String, String)>,
    /// Fields whose file was not UTF-8 text.
    pub not_text: Vec<String>,
}

impl UploadForm {
    /// The text of file field `name` if a file was chosen.
    pub fn file(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .any(|(f, _)| f == name)
            .then(|| self.fields.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()))
            .flatten()
    }

    /// The chosen file's name, for messages.
    pub fn file_name(&self, name: &str) -> Option<&str> {
        self.files.iter().find(|(f, _)| f == name).map(|(_, n)| n.as_str())
    }
}

impl FromRequest<AppState> for UploadForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = req
            .extensions()
            .get::<Session>()
            .cloned()
            .ok_or_else(|| PageError::Internal(anyhow::anyhow!("session layer missing")))?;
        let mut multipart = Multipart::from_request(req, state).await.map_err(|_| PageError::Csrf)?;
        let mut out = UploadForm {
            fields: FormData::default(),
            files: Vec::new(),
            not_text: Vec::new(),
        };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => return Err(PageError::TooLarge),
                Err(_) => return Err(PageError::Csrf),
            };
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let bytes = match field.bytes().await {
                Ok(b) => b,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => return Err(PageError::TooLarge),
                Err(_) => return Err(PageError::Csrf),
            };
            // A file input with nothing chosen sends an empty part without a name.
            if let Some(f) = file_name.filter(|f| !f.is_empty() || !bytes.is_empty()) {
                out.files.push((name.clone(), f));
            }
            let text = match String::from_utf8(bytes.to_vec()) {
                Ok(t) => t,
                Err(_) => {
                    out.not_text.push(name.clone());
                    String::new()
                }
            };
            // A byte-order mark is not part of the text.
            let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
            out.fields.0.push((name, text));
        }
        if !state.keys.csrf_ok(&session.data, out.fields.get("csrf")) {
            return Err(PageError::Csrf);
        }
        Ok(out)
    }
}
