//! A message Roundabout sent (or will send) as pages show it: a
//! household's "Messages we sent you" and the demo mailbox. The body is
//! kept as the gateway wrote it (`graphql/src/notify/messages.rs`):
//! paragraphs split by a blank line, lines kept, `# ` lines headings.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The fields of `Notification` the pages read.
pub const FIELDS: &str = "id kind channel to subject body status problem hasCalendarEntry createdAt sendAfter sentAt";

/// One message, as the API gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub kind: String,
    pub channel: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub problem: Option<String>,
    pub has_calendar_entry: bool,
    pub created_at: DateTime<Utc>,
    pub send_after: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A part of a message's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A `# ` line: a heading.
    Heading(String),
    /// A paragraph, its lines kept.
    Paragraph(Vec<String>),
}

impl Block {
    pub fn heading(&self) -> Option<&str> {
        match self {
            Block::Heading(h) => Some(h),
            Block::Paragraph(_) => None,
        }
    }

    pub fn lines(&self) -> &[String] {
        match self {
            Block::Heading(_) => &[],
            Block::Paragraph(lines) => lines,
        }
    }
}

/// A body's headings and paragraphs: a blank line ends a paragraph, a line
/// starting `# ` is a heading of its own.
pub fn blocks(body: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let flush = |lines: &mut Vec<String>, out: &mut Vec<Block>| {
        if !lines.is_empty() {
            out.push(Block::Paragraph(std::mem::take(lines)));
        }
    };
    for raw in body.lines() {
        let line = raw.trim();
        if line.is_empty() {
            flush(&mut lines, &mut out);
        } else if let Some(h) = line.strip_prefix("# ") {
            flush(&mut lines, &mut out);
            out.push(Block::Heading(h.trim().to_string()));
        } else {
            lines.push(line.to_string());
        }
    }
    flush(&mut lines, &mut out);
    out
}

impl Message {
    pub fn blocks(&self) -> Vec<Block> {
        blocks(&self.body)
    }

    /// Not sent yet (a reminder waiting for its day).
    pub fn waiting(&self) -> bool {
        self.status == "PENDING"
    }

    /// When it went: sent, else written.
    pub fn when(&self) -> DateTime<Utc> {
        self.sent_at.unwrap_or(self.created_at)
    }

    /// Why it failed or was withdrawn, when it says.
    pub fn problem_text(&self) -> Option<&str> {
        self.problem
            .as_deref()
            .filter(|p| !p.trim().is_empty() && matches!(self.status.as_str(), "FAILED" | "WITHDRAWN"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_reads_as_paragraphs_lines_and_headings() {
        let body = "Your booking is confirmed.\n\nReference: AB12CD34\n\nVehicle: Nissan Leaf\nWhen: today\n\n\
                    # What happens next\n\nBring your licence.\n# If you need help\nCall us.";
        assert_eq!(
            blocks(body),
            vec![
                Block::Paragraph(vec!["Your booking is confirmed.".into()]),
                Block::Paragraph(vec!["Reference: AB12CD34".into()]),
                Block::Paragraph(vec!["Vehicle: Nissan Leaf".into(), "When: today".into()]),
                Block::Heading("What happens next".into()),
                Block::Paragraph(vec!["Bring your licence.".into()]),
                Block::Heading("If you need help".into()),
                Block::Paragraph(vec!["Call us.".into()]),
            ]
        );
        assert!(blocks("").is_empty());
        assert_eq!(blocks("\r\n#nope\r\n"), vec![Block::Paragraph(vec!["#nope".into()])]);
    }
}
