//! Identifiers Norwegian users already have, checked at the edge so that the rest of the code can
//! trust them: organisasjonsnummer, kommunenummer, fylkesnummer and the school year.

use std::fmt;

use super::DomainError;

/// Organisasjonsnummer from Enhetsregisteret: nine digits, the last a mod-11 check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgNumber(String);

impl OrgNumber {
    const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

    /// Accepts the nine digits, optionally grouped with spaces as printed ("974 760 673").
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let digits: String = input.chars().filter(|c| *c != ' ').collect();
        let invalid = || DomainError::InvalidOrgNumber(input.to_owned());
        if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let sum: u32 = values.iter().zip(Self::WEIGHTS).map(|(d, w)| d * w).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => return Err(invalid()),
            digit => digit,
        };
        if values[8] != check {
            return Err(invalid());
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Kommunenummer: four digits, the first two the fylkesnummer of the county at the time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Kommunenummer(String);

impl Kommunenummer {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let trimmed = input.trim();
        let valid = trimmed.len() == 4
            && trimmed.bytes().all(|b| b.is_ascii_digit())
            && &trimmed[..2] != "00";
        if valid {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(DomainError::InvalidKommunenummer(input.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fylkesnummer the kommunenummer was issued under.
    pub fn county(&self) -> CountyNumber {
        CountyNumber(self.0[..2].to_owned())
    }
}

/// Fylkesnummer: two digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountyNumber(String);

impl CountyNumber {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let trimmed = input.trim();
        if trimmed.len() == 2 && trimmed.bytes().all(|b| b.is_ascii_digit()) && trimmed != "00" {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(DomainError::InvalidCountyNumber(input.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The public code of an owner: a kommune's kommunenummer or a fylkeskommune's fylkesnummer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OwnerCode {
    Municipality(Kommunenummer),
    County(CountyNumber),
}

impl OwnerCode {
    /// Two digits are a fylkesnummer, four a kommunenummer.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        match input.trim().len() {
            2 => CountyNumber::parse(input).map(Self::County),
            _ => Kommunenummer::parse(input).map(Self::Municipality),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Municipality(number) => number.as_str(),
            Self::County(number) => number.as_str(),
        }
    }
}

/// Skoleår, named by the calendar year it starts in: `2015` is 2015-16, shown as "15-16".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchoolYear(i32);

/// A start year as databases store it (a 64-bit integer), checked like any other input.
impl TryFrom<i64> for SchoolYear {
    type Error = DomainError;

    fn try_from(stored: i64) -> Result<Self, DomainError> {
        i32::try_from(stored)
            .map_err(|_| DomainError::InvalidSchoolYear(stored.to_string()))
            .and_then(Self::new)
    }
}

impl SchoolYear {
    pub const FIRST: i32 = 1990;
    pub const LAST: i32 = 2100;

    pub fn new(start_year: i32) -> Result<Self, DomainError> {
        if (Self::FIRST..=Self::LAST).contains(&start_year) {
            Ok(Self(start_year))
        } else {
            Err(DomainError::InvalidSchoolYear(start_year.to_string()))
        }
    }

    pub fn parse(input: &str) -> Result<Self, DomainError> {
        input
            .trim()
            .parse()
            .map_err(|_| DomainError::InvalidSchoolYear(input.to_owned()))
            .and_then(Self::new)
    }

    pub fn start_year(self) -> i32 {
        self.0
    }

    /// The short label used in Norwegian reports: "15-16".
    pub fn label(self) -> String {
        format!("{:02}-{:02}", self.0 % 100, (self.0 + 1) % 100)
    }

    /// Kommunenummer change on 1 January, so the code in force during most of the school year
    /// (and when its statistics are published) is the one valid on 1 January of the second year.
    pub fn reference_calendar_year(self) -> i32 {
        self.0 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_number_with_a_valid_check_digit_is_accepted() {
        // Utdanningsdirektoratet's organisasjonsnummer.
        assert_eq!(OrgNumber::parse("970018131").unwrap().as_str(), "970018131");
        assert_eq!(
            OrgNumber::parse("970 018 131").unwrap().as_str(),
            "970018131"
        );
    }

    #[test]
    fn org_number_with_a_wrong_check_digit_is_refused() {
        assert!(OrgNumber::parse("970018132").is_err());
    }

    #[test]
    fn org_number_whose_check_digit_would_be_ten_is_refused() {
        // 4,0,0,0,0,0,0,0 weighs 12: remainder 1 gives check digit 10, which does not exist.
        for last in 0..=9 {
            assert!(OrgNumber::parse(&format!("40000000{last}")).is_err());
        }
        // 1,0,0,0,0,0,0,4 weighs 11: remainder 0 gives 11, written as check digit 0.
        assert!(OrgNumber::parse("100000040").is_ok());
    }

    #[test]
    fn org_number_must_be_nine_digits() {
        for input in ["", "97001813", "9700181311", "97001813x", "-70018131"] {
            assert!(OrgNumber::parse(input).is_err(), "{input} was accepted");
        }
    }

    #[test]
    fn kommunenummer_is_four_digits_starting_with_a_county() {
        let bærum = Kommunenummer::parse("3201").unwrap();
        assert_eq!(bærum.county().as_str(), "32");
        assert!(Kommunenummer::parse("0219").is_ok());
        for input in ["219", "32011", "32a1", "0001", ""] {
            assert!(Kommunenummer::parse(input).is_err(), "{input} was accepted");
        }
    }

    #[test]
    fn owner_code_tells_county_from_municipality_by_length() {
        assert!(matches!(OwnerCode::parse("11"), Ok(OwnerCode::County(_))));
        assert!(matches!(
            OwnerCode::parse("1149"),
            Ok(OwnerCode::Municipality(_))
        ));
        assert!(OwnerCode::parse("114").is_err());
    }

    #[test]
    fn school_year_label_is_the_short_start_and_end_year() {
        assert_eq!(SchoolYear::new(2015).unwrap().label(), "15-16");
        assert_eq!(SchoolYear::new(1999).unwrap().label(), "99-00");
        assert_eq!(
            SchoolYear::new(2023).unwrap().reference_calendar_year(),
            2024
        );
        assert!(SchoolYear::new(1989).is_err());
        assert!(SchoolYear::parse("2024-25").is_err());
    }
}
