//! Relay global ids (`Node.id`) and pagination cursors: opaque strings for clients.
//!
//! A global id is base64url("Owner:12"); a cursor is base64url("cursor:12"). Clients must not
//! parse them; natural identifiers (kommunenummer, organisasjonsnummer, codes) are separate fields.

use async_graphql::{ID, connection::CursorType};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::error::ApiError;

/// The object types that have global ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Owner,
    Unit,
    Selection,
    Indicator,
    DataSource,
    QualityFramework,
    Initiative,
    MeetingProcess,
    Meeting,
}

impl NodeKind {
    const ALL: [Self; 9] = [
        Self::Owner,
        Self::Unit,
        Self::Selection,
        Self::Indicator,
        Self::DataSource,
        Self::QualityFramework,
        Self::Initiative,
        Self::MeetingProcess,
        Self::Meeting,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Unit => "Unit",
            Self::Selection => "Selection",
            Self::Indicator => "Indicator",
            Self::DataSource => "DataSource",
            Self::QualityFramework => "QualityFramework",
            Self::Initiative => "Initiative",
            Self::MeetingProcess => "MeetingProcess",
            Self::Meeting => "Meeting",
        }
    }
}

pub fn global_id(kind: NodeKind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Splits a global id into its type and database id.
pub fn parse_global_id(id: &ID) -> Result<(NodeKind, i64), ApiError> {
    let invalid = || ApiError::BadUserInput(format!("{:?} is not a valid id", id.as_str()));
    let decoded = URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (name, number) = text.split_once(':').ok_or_else(invalid)?;
    let kind = NodeKind::ALL
        .into_iter()
        .find(|kind| kind.name() == name)
        .ok_or_else(invalid)?;
    Ok((kind, number.parse().map_err(|_| invalid())?))
}

/// Parses a global id that must be of one kind.
pub fn parse_id_of(kind: NodeKind, id: &ID) -> Result<i64, ApiError> {
    match parse_global_id(id)? {
        (found, number) if found == kind => Ok(number),
        (found, _) => Err(ApiError::BadUserInput(format!(
            "{:?} is the id of a {}, not of a {}",
            id.as_str(),
            found.name(),
            kind.name()
        ))),
    }
}

/// A position in a list ordered by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdCursor(pub i64);

impl CursorType for IdCursor {
    type Error = ApiError;

    fn decode_cursor(s: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::BadUserInput(format!("{s:?} is not a valid cursor"));
        let decoded = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid())?;
        let text = String::from_utf8(decoded).map_err(|_| invalid())?;
        let number = text.strip_prefix("cursor:").ok_or_else(invalid)?;
        Ok(Self(number.parse().map_err(|_| invalid())?))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("cursor:{}", self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_keep_their_kind() {
        let id = global_id(NodeKind::Unit, 42);
        assert_eq!(parse_global_id(&id).unwrap(), (NodeKind::Unit, 42));
        assert_eq!(parse_id_of(NodeKind::Unit, &id).unwrap(), 42);
        assert!(parse_id_of(NodeKind::Owner, &id).is_err());
    }

    #[test]
    fn malformed_ids_and_cursors_are_bad_input() {
        for text in ["", "!!", "T3duZXI", "Q2FyOjE"] {
            assert!(parse_global_id(&ID(text.into())).is_err(), "{text}");
        }
        assert_eq!(
            IdCursor::decode_cursor(&IdCursor(7).encode_cursor()).unwrap(),
            IdCursor(7)
        );
        assert!(IdCursor::decode_cursor("Y3Vyc29yOng").is_err());
    }
}
