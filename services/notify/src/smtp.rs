//! Email over SMTP ([`SmtpTransport`]): for councils with their own relay,
//! and for development against a local mail catcher.
//!
//! Configured by `SMTP_URL` and `SMTP_FROM` ([`SmtpConfig::from_values`]).
//! TLS is rustls only. A relay that answers 4xx, times out or cannot be
//! reached is worth trying again ([`SendError::Retry`]); a 5xx answer (no
//! such mailbox, message refused) is final ([`SendError::Permanent`]).

use std::{fmt, time::Duration};

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use percent_encoding::percent_decode_str;

use crate::{Address, Channel, Outgoing, SendError, Sent, Transport, TransportFuture};

/// The whole send (connect, TLS, auth, message) gives up after this long.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte (port 465).
    ImplicitTls,
    /// `smtp://` to another host: STARTTLS, and the send fails if the relay
    /// does not offer it.
    StartTls,
    /// `smtp://` to this machine (`localhost`, `127.0.0.1`, `::1`): no TLS,
    /// for a local relay or a test server.
    None,
}

/// Where and how to send email. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User name and password from the URL.
    pub credentials: Option<(String, String)>,
    /// The `From` of every message.
    pub from: Mailbox,
    /// The longest a whole send may take.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why `SMTP_URL` or `SMTP_FROM` was not accepted. No variant holds the
/// URL or the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpConfigError {
    #[error("SMTP_URL must start with smtp:// or smtps://")]
    Scheme,
    #[error("SMTP_URL has no host")]
    NoHost,
    #[error("SMTP_URL has a port that is not a number from 1 to 65535")]
    Port,
    #[error("SMTP_URL has a user name or password that is not valid percent-encoded UTF-8")]
    Credentials,
    #[error("SMTP_URL has a path, query or fragment; only smtp[s]://[user:password@]host[:port] is understood")]
    Extra,
    #[error("SMTP_FROM is not a mailbox such as `Council <noreply@council.example>`")]
    From,
}

impl SmtpConfig {
    /// Reads the configuration from the environment: `SMTP_URL`,
    /// `SMTP_FROM`; `None` when `SMTP_URL` is not set.
    pub fn from_env() -> Option<Result<Self, SmtpConfigError>> {
        let url = std::env::var("SMTP_URL").ok()?;
        let from = std::env::var("SMTP_FROM").unwrap_or_default();
        Some(Self::from_values(&url, &from))
    }

    /// Parses `SMTP_URL` (`smtp://user:pass@host:587`, `smtps://host`,
    /// `smtp://127.0.0.1:2525`) and `SMTP_FROM`
    /// (`West Oxfordshire Council <noreply@westoxon.example>`).
    ///
    /// `smtps://` is implicit TLS (default port 465). `smtp://` to any host
    /// but this machine requires STARTTLS (default port 587); to this
    /// machine it is plain (default port 25). User name and password are
    /// percent-decoded.
    pub fn from_values(url: &str, from: &str) -> Result<Self, SmtpConfigError> {
        let (implicit_tls, rest) = if let Some(r) = url.strip_prefix("smtps://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("smtp://") {
            (false, r)
        } else {
            return Err(SmtpConfigError::Scheme);
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err(SmtpConfigError::Extra);
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let credentials = match userinfo {
            None => None,
            Some(u) => {
                let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                let decode = |s: &str| {
                    percent_decode_str(s)
                        .decode_utf8()
                        .map(|c| c.into_owned())
                        .map_err(|_| SmtpConfigError::Credentials)
                };
                Some((decode(user)?, decode(pass)?))
            }
        };
        let (host, port) = split_host_port(hostport)?;
        if host.is_empty() {
            return Err(SmtpConfigError::NoHost);
        }
        let local = is_local(&host);
        let security = if implicit_tls {
            SmtpSecurity::ImplicitTls
        } else if local {
            SmtpSecurity::None
        } else {
            SmtpSecurity::StartTls
        };
        let port = port.unwrap_or(match security {
            SmtpSecurity::ImplicitTls => 465,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::None => 25,
        });
        let from: Mailbox = from.trim().parse().map_err(|_| SmtpConfigError::From)?;
        Ok(Self {
            host,
            port,
            security,
            credentials,
            from,
            timeout: DEFAULT_SEND_TIMEOUT,
        })
    }
}

/// `host`, `host:port`, `[::1]:port`.
fn split_host_port(s: &str) -> Result<(String, Option<u16>), SmtpConfigError> {
    let parse_port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(SmtpConfigError::Port),
        Ok(n) => Ok(n),
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(SmtpConfigError::NoHost)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return Err(SmtpConfigError::Port),
        };
        return Ok((host.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_string(), Some(parse_port(p)?))),
        None => Ok((s.to_string(), None)),
    }
}

/// Whether `host` is this machine, where a plain connection is acceptable.
fn is_local(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// The `Message-ID` of a notification: the same on every attempt, so a
/// receiving system can tell a retry from a new message.
pub fn message_id(msg: &Outgoing) -> String {
    format!("<{}@roundabout>", msg.id)
}

/// Builds the email for `msg`: a plain-text UTF-8 body, and each attachment
/// as a MIME part of its own type.
pub fn build_message(from: &Mailbox, msg: &Outgoing) -> Result<Message, SendError> {
    let Address::Email { email } = &msg.to else {
        return Err(permanent(format!(
            "SMTP sends email only, not {}",
            msg.to.channel().as_str()
        )));
    };
    let to: lettre::Address = email
        .trim()
        .parse()
        .map_err(|_| permanent("the recipient is not a valid email address"))?;
    let builder = Message::builder()
        .message_id(Some(message_id(msg)))
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(msg.subject.clone());
    let built = if msg.attachments.is_empty() {
        builder.header(ContentType::TEXT_PLAIN).body(msg.body.clone())
    } else {
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(msg.body.clone()));
        for a in &msg.attachments {
            let ct = ContentType::parse(&a.content_type)
                .map_err(|_| permanent(format!("attachment {} has an invalid content type", a.filename)))?;
            parts = parts.singlepart(lettre::message::Attachment::new(a.filename.clone()).body(a.content.clone(), ct));
        }
        builder.multipart(parts)
    };
    built.map_err(|e| permanent(format!("could not build the email: {e}")))
}

/// Sends email through an SMTP relay.
pub struct SmtpTransport {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Why the transport could not be built (TLS set-up).
#[derive(Debug, thiserror::Error)]
#[error("could not set up TLS for the SMTP relay: {0}")]
pub struct SmtpSetupError(String);

impl SmtpTransport {
    pub fn new(config: &SmtpConfig) -> Result<Self, SmtpSetupError> {
        let tls = match config.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls_parameters(&config.host)?),
            SmtpSecurity::ImplicitTls => Tls::Wrapper(tls_parameters(&config.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some((user, pass)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(Self {
            mailer: builder.build(),
            from: config.from.clone(),
            timeout: config.timeout,
        })
    }

    async fn send_once(&self, msg: &Outgoing) -> Result<Sent, SendError> {
        let email = build_message(&self.from, msg)?;
        match tokio::time::timeout(self.timeout, self.mailer.send(email)).await {
            Err(_) => Err(SendError::Retry {
                reason: format!("the SMTP relay did not finish within {:?}", self.timeout),
                after: None,
            }),
            Ok(Err(e)) => Err(map_error(&e)),
            Ok(Ok(_response)) => Ok(Sent {
                transport_id: message_id(msg),
                delivered: true,
            }),
        }
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, SmtpSetupError> {
    TlsParameters::new(host.to_string()).map_err(|e| SmtpSetupError(e.to_string()))
}

/// 5xx answers and messages the client itself refused are final; 4xx,
/// timeouts, refused connections, TLS and protocol trouble may pass.
fn map_error(e: &lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        permanent(format!("the SMTP relay refused the message: {e}"))
    } else if e.is_client() {
        permanent(format!("the message could not be sent: {e}"))
    } else {
        SendError::Retry {
            reason: format!("SMTP: {e}"),
            after: None,
        }
    }
}

fn permanent(reason: impl Into<String>) -> SendError {
    SendError::Permanent { reason: reason.into() }
}

impl Transport for SmtpTransport {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn handles(&self, channel: Channel) -> bool {
        channel == Channel::Email
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> TransportFuture<'a, Sent> {
        Box::pin(self.send_once(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: &str = "West Oxfordshire Council <noreply@westoxon.example>";

    #[test]
    fn credentials_to_a_remote_host_require_starttls() {
        let c = SmtpConfig::from_values("smtp://user%40council:p%3Ass@mail.council.example:587", FROM).unwrap();
        assert_eq!(c.host, "mail.council.example");
        assert_eq!(c.port, 587);
        assert_eq!(c.security, SmtpSecurity::StartTls);
        assert_eq!(c.credentials, Some(("user@council".into(), "p:ss".into())));
        assert_eq!(c.from.email.to_string(), "noreply@westoxon.example");
        assert_eq!(c.from.name.as_deref(), Some("West Oxfordshire Council"));
    }

    #[test]
    fn smtps_is_implicit_tls_on_465() {
        let c = SmtpConfig::from_values("smtps://u:p@mail.example", FROM).unwrap();
        assert_eq!((c.security, c.port), (SmtpSecurity::ImplicitTls, 465));
    }

    #[test]
    fn a_remote_host_without_credentials_still_needs_starttls() {
        let c = SmtpConfig::from_values("smtp://relay.example", FROM).unwrap();
        assert_eq!((c.security, c.port), (SmtpSecurity::StartTls, 587));
    }

    #[test]
    fn local_hosts_may_be_plain() {
        for url in ["smtp://127.0.0.1:2525", "smtp://localhost:1025/", "smtp://[::1]:2525"] {
            let c = SmtpConfig::from_values(url, FROM).unwrap();
            assert_eq!(c.security, SmtpSecurity::None, "{url}");
            assert!(c.credentials.is_none());
        }
        assert_eq!(SmtpConfig::from_values("smtp://[::1]:2525", FROM).unwrap().host, "::1");
    }

    #[test]
    fn bad_values_are_refused_without_echoing_the_password() {
        let cases = [
            ("http://u:hunter2@h", SmtpConfigError::Scheme),
            ("smtp://u:hunter2@", SmtpConfigError::NoHost),
            ("smtp://u:hunter2@h:99999", SmtpConfigError::Port),
            ("smtp://u:hunter2@h:0", SmtpConfigError::Port),
            ("smtp://u:hunter2@h/path", SmtpConfigError::Extra),
            ("smtp://u:%FF@h", SmtpConfigError::Credentials),
        ];
        for (url, want) in cases {
            let err = SmtpConfig::from_values(url, FROM).unwrap_err();
            assert_eq!(err, want, "{url}");
            assert!(!err.to_string().contains("hunter2"));
        }
        assert_eq!(
            SmtpConfig::from_values("smtp://localhost", "not an address").unwrap_err(),
            SmtpConfigError::From
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let c = SmtpConfig::from_values("smtp://u:hunter2@mail.example", FROM).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("mail.example"));
    }

    fn outgoing(to: Address) -> Outgoing {
        Outgoing {
            id: uuid::Uuid::new_v4(),
            template: "booking_confirmed".into(),
            to,
            subject: "Your booking".into(),
            body: "Hello".into(),
            personalisation: Default::default(),
            attachments: Vec::new(),
        }
    }

    #[test]
    fn the_message_id_is_stable_and_headers_are_set() {
        let from: Mailbox = FROM.parse().unwrap();
        let msg = outgoing(Address::Email {
            email: "amala@example.org".into(),
        });
        let a = String::from_utf8(build_message(&from, &msg).unwrap().formatted()).unwrap();
        let b = String::from_utf8(build_message(&from, &msg).unwrap().formatted()).unwrap();
        let id_line = format!("Message-ID: <{}@roundabout>", msg.id);
        assert!(a.contains(&id_line), "{a}");
        assert!(b.contains(&id_line));
        assert!(a.contains("Subject: Your booking"));
        assert!(a.contains("To: amala@example.org"));
    }

    #[test]
    fn other_channels_and_bad_addresses_are_permanent() {
        let from: Mailbox = FROM.parse().unwrap();
        let sms = outgoing(Address::Sms {
            phone: "07700900123".into(),
        });
        assert!(matches!(build_message(&from, &sms), Err(SendError::Permanent { .. })));
        let bad = outgoing(Address::Email {
            email: "not-an-address".into(),
        });
        assert!(matches!(build_message(&from, &bad), Err(SendError::Permanent { .. })));
    }
}
