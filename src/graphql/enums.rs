//! GraphQL enums mirroring the domain's, converted both ways by async-graphql's `remote`.

use async_graphql::Enum;

use crate::domain;

/// Type of skoleeier (owner).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::OwnerKind")]
pub enum OwnerKind {
    /// Kommune (municipality).
    Municipality,
    /// Fylkeskommune (county municipality), owner of videregående skoler.
    CountyMunicipality,
    /// Privat skoleeier (private owner).
    Private,
    /// Staten (the state).
    State,
}

/// Type of enhet (unit).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::UnitKind")]
pub enum UnitKind {
    /// Skole: grunnskole or videregående skole.
    School,
    /// Barnehage (kindergarten).
    Kindergarten,
    /// Kulturskole (municipal school of music and performing arts).
    ArtsSchool,
}

/// Skoleslag of a school.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::SchoolStage")]
pub enum SchoolStage {
    /// Barneskole, 1.-7. trinn.
    Primary,
    /// Ungdomsskole, 8.-10. trinn.
    LowerSecondary,
    /// Kombinert skole, 1.-10. trinn.
    Combined,
    /// Videregående skole, Vg1-Vg3.
    UpperSecondary,
}

/// Sensitivity (tilgangsnivå) of a data source.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Sensitivity")]
pub enum Sensitivity {
    /// Offentlig statistikk (published statistics, e.g. Udir and SSB): readable by anyone.
    Public,
    /// Lokale data (local surveys): readable only within the owner's scope.
    Restricted,
}

/// Indikatorkategori.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::IndicatorCategory")]
pub enum IndicatorCategory {
    /// Forutsetning: a precondition (resources, background).
    Precondition,
    /// Prosess: how the work is done (learning environment, teaching).
    Process,
    /// Resultat: outcomes (test results, grades).
    Result,
}

/// Retning: whether a higher value is better.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Direction")]
pub enum Direction {
    /// Høyere er bedre.
    HigherIsBetter,
    /// Lavere er bedre (e.g. Mobbing).
    LowerIsBetter,
    /// Nøytral: neither (counts, costs).
    Neutral,
}

/// Måleenhet: what an indicator's numbers count.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::UnitOfMeasure")]
pub enum UnitOfMeasure {
    /// Indeks on a fixed scale (e.g. 1-5 in Elevundersøkelsen).
    Index,
    /// Skalapoeng (nasjonale prøver: mean 50, standard deviation 10).
    ScalePoints,
    /// Poeng (e.g. grunnskolepoeng).
    Points,
    /// Prosent (andel).
    Percent,
    /// Antall (count).
    Count,
    /// Timer (hours per year).
    Hours,
    /// Årsverk (full-time equivalents).
    Fte,
    /// Kroner (NOK).
    Nok,
}

/// How cells of a fargetabell (colour table) are classified for an indicator.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::ColourMode")]
pub enum ColourMode {
    /// Faste grenser: absolute thresholds.
    Absolute,
    /// Relativt til nasjonalt nivå, with a margin.
    RelativeNational,
    /// Relativt til skoleeiers nivå, with a margin.
    RelativeOwner,
    /// Ingen fargelegging.
    None,
}

/// Nivå of the subject a value describes.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::SubjectLevel")]
pub enum SubjectLevel {
    /// Enhet (a unit).
    Unit,
    /// Skoleeier (an owner).
    Owner,
    /// Fylke (a county).
    County,
    /// Nasjonalt (the nation).
    Nation,
}

/// Who an utvalg (selection) belongs to.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::SelectionScope")]
pub enum SelectionScope {
    /// One skoleeier's units.
    Owner,
    /// Nasjonalt utvalg.
    National,
    /// Nettverk: units across owners (e.g. a regional network of kulturskoler).
    Network,
}

/// Kjønn.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Gender")]
pub enum Gender {
    /// Jenter.
    Girls,
    /// Gutter.
    Boys,
}

/// Rolletype (kind of role). National roles span all owners; owner roles one skoleeier; unit
/// roles one enhet.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::RoleKind")]
pub enum RoleKind {
    /// Nasjonal administrator: grants owner admins and national readers.
    NationalAdmin,
    /// Nasjonal leser (e.g. Norsk kulturskoleråd): public data and aggregates of local data.
    NationalReader,
    /// Skoleeier-administrator: reads the owner's data and grants roles inside the owner.
    OwnerAdmin,
    /// Skoleeier-leser: reads the owner's data, including local surveys of its units.
    OwnerReader,
    /// Enhetsleder (rektor, styrer): reads the unit's data and grants unit staff.
    UnitLeader,
    /// Ansatt ved enheten: reads the unit's data.
    UnitStaff,
}

/// Why a value is prikket (suppressed): hidden to protect privacy, or not readable by the caller.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::SuppressionReason")]
pub enum SuppressionReason {
    /// Prikket av kilden: the data source hid the cell itself (Udir's "*", SSB's ":"), perhaps
    /// as secondary suppression.
    SuppressedAtSource,
    /// Under prikkegrensen: fewer respondents (n) than the data source's threshold.
    BelowThreshold,
    /// Ikke tilgang: the value comes from a restricted (local) data source the caller may not read.
    NotPermitted,
    /// For få enheter: an aggregate of restricted (local) data rests on fewer units than the data
    /// source's minimum group size (`DataSource.minGroupSize`), and the caller may not read every
    /// unit on its own; value, n and the member counts are withheld.
    TooFewMembers,
    /// Sekundærprikket (complementary suppression): hidden so that another prikket figure cannot
    /// be worked out by subtraction (the nation minus the other skoleeiere); value, n and the
    /// member counts are withheld.
    Complementary,
    /// Samstemt: every unit of a level distribution (`levelDistribution`) is on the same level,
    /// so the distribution would tell each unit's own level; the counts are withheld from a
    /// caller who may not read every unit on its own.
    Unanimous,
}

/// Farge (colour) of a fargetabell cell.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Colour")]
pub enum Colour {
    /// Grønn: at or better than the green limit, or better than the reference by more than the
    /// margin.
    Green,
    /// Gul: between green and red.
    Yellow,
    /// Rød: worse than the red limit, or worse than the reference by more than the margin.
    Red,
    /// Ingen farge: not classified (no value, no colour rule, or no reference), not "bad".
    None,
}

/// Status of a kvalitetsbeskrivelse (quality framework).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::FrameworkStatus")]
pub enum FrameworkStatus {
    /// Utkast: seen only by those who may edit it; nobody assesses against it yet.
    Draft,
    /// Publisert: units assess themselves against its current version.
    Published,
    /// Trukket tilbake (retired): kept, with every assessment made against it, but no new ones.
    Retired,
}

/// How a kvalitetskjennetegn changed between two versions of a framework.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Change")]
pub enum Change {
    /// Only in the newer version.
    Added,
    /// Only in the older version.
    Removed,
    /// In both, with different texts or indicators.
    Changed,
}

/// Status of a tiltak (initiative). It moves planned -> active -> completed or cancelled, and no
/// other way.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::InitiativeStatus")]
pub enum InitiativeStatus {
    /// Planlagt: not started yet.
    Planned,
    /// Aktiv: under way; its progress is evaluated.
    Active,
    /// Fullført (completed).
    Completed,
    /// Avbrutt (cancelled).
    Cancelled,
}

/// Vurdering av framdrift: how an initiative is going.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Judgement")]
pub enum Judgement {
    /// På rett spor (on track).
    OnTrack,
    /// I risiko (at risk).
    AtRisk,
    /// Ikke på rett spor (off track).
    OffTrack,
}
