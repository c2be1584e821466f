//! Invitations by e-mail through a configured SMTP relay (`VARDE_SMTP_RELAY=host:port`), with the
//! iCalendar invitation as a `text/calendar` part that calendar programs act on.
//!
//! The relay is spoken to without TLS: it is meant to be the organisation's own relay on the
//! local network or the same host, which hands mail on (with TLS) to the world. Without a relay,
//! invitations are only downloadable (`Meeting.invitation`).

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, SinglePart, header::ContentType},
};

/// Where and as whom invitations are mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// The relay's `host:port`.
    pub relay: String,
    /// The sender address (`From:` and the invitation's ORGANIZER).
    pub from: String,
}

/// Why a mail could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are invalid: {0}")]
    Config(String),
    #[error("the address {0:?} is not a valid e-mail address")]
    Address(String),
    #[error("the mail could not be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the SMTP relay refused or could not be reached: {0}")]
    Relay(#[from] lettre::transport::smtp::Error),
}

/// Sends invitations through the relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

/// An e-mail address, checked.
pub fn mailbox(address: &str) -> Result<Mailbox, MailError> {
    address
        .trim()
        .parse()
        .map_err(|_| MailError::Address(address.to_owned()))
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Self, MailError> {
        let (host, port) = config
            .relay
            .rsplit_once(':')
            .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
            .ok_or_else(|| {
                MailError::Config(format!(
                    "VARDE_SMTP_RELAY {:?} must be host:port",
                    config.relay
                ))
            })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .build();
        Ok(Self {
            transport,
            from: mailbox(&config.from)?,
        })
    }

    /// The sender address.
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// Mails one invitation (or cancellation, by `method`) to every address in `to`.
    pub async fn send_invitation(
        &self,
        to: &[String],
        subject: &str,
        body: &str,
        ics: &str,
        method: &str,
    ) -> Result<(), MailError> {
        let mut message = Message::builder().from(self.from.clone()).subject(subject);
        for address in to {
            message = message.to(mailbox(address)?);
        }
        let calendar =
            ContentType::parse(&format!("text/calendar; method={method}; charset=UTF-8"))
                .map_err(|error| MailError::Config(error.to_string()))?;
        let message = message.multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(body.to_owned()))
                .singlepart(SinglePart::builder().header(calendar).body(ics.to_owned())),
        )?;
        self.transport.send(message).await?;
        Ok(())
    }
}
