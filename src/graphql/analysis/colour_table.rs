//! Fargetabell (colour table): units x indicators, each cell coloured by its indicator's rule.

use async_graphql::{Context, SimpleObject};

use crate::{
    domain::{self, Cell, Dataset},
    graphql::{
        enums::{Colour, SuppressionReason},
        error::{ApiError, ApiResult},
        inputs::ResolvedSubject,
        objects::{Indicator, Owner, SchoolYear, Unit, loader},
    },
};

/// Celle i fargetabellen (colour table cell): one indicator's value for a row, with its colour.
#[derive(SimpleObject)]
pub struct ColourCell {
    /// Indikator of the cell (the column).
    indicator: Indicator,
    /// Verdi: null when prikket (suppressed), not permitted or missing.
    value: Option<f64>,
    /// Antall (n) behind the value; null when prikket.
    n: Option<i64>,
    /// Prikket: true when the value is hidden (suppressed or not permitted).
    suppressed: bool,
    /// Why the value is prikket; null when it is shown.
    suppression_reason: Option<SuppressionReason>,
    /// Farge by the indikator's fargeregel (colour rule); NONE when not classified.
    colour: Colour,
}

/// Rad i fargetabellen: one enhet (unit) with a cell per indikator.
#[derive(SimpleObject)]
pub struct ColourTableRow {
    /// Enhet (unit) of the row.
    unit: Unit,
    /// Celler: one per indikator, in the order asked for.
    cells: Vec<ColourCell>,
}

/// Referanserad i fargetabellen: the skoleeier's or the nation's values (published, or computed
/// over the visible members) to read the unit rows against.
#[derive(SimpleObject)]
pub struct ColourTableReferenceRow {
    /// Navn: the skoleeier's name, or "Nasjonalt".
    label: String,
    /// Skoleeier (owner) of the row; null for the national row.
    owner: Option<Owner>,
    /// Celler: one per indikator, in the order asked for.
    cells: Vec<ColourCell>,
}

/// Fargetabell (colour table): enheter x indikatorer for one skoleår, each cell coloured GREEN /
/// YELLOW / RED / NONE by its indikator's fargeregel, with the skoleeier and the nation as
/// reference rows.
#[derive(SimpleObject)]
pub struct ColourTable {
    /// Skoleår of the table.
    school_year: SchoolYear,
    /// Gruppe (e.g. "all", "trinn=7") of every value in the table.
    group: String,
    /// Rader: one per enhet (unit) that any of the indikatorer applies to.
    rows: Vec<ColourTableRow>,
    /// Skoleeiers rad (owner row); null for an utvalg across owners or a set of enheter.
    owner_row: Option<ColourTableReferenceRow>,
    /// Nasjonal rad (national row).
    nation_row: ColourTableReferenceRow,
}

/// A row's cells, each with its column's indicator.
fn cells(columns: &[Indicator], cells: Vec<Cell>) -> Vec<ColourCell> {
    columns
        .iter()
        .zip(cells)
        .map(|(indicator, Cell { figure, colour })| ColourCell {
            indicator: indicator.clone(),
            value: figure.value,
            n: figure.n,
            suppressed: figure.suppressed(),
            suppression_reason: figure.reason.map(Into::into),
            colour: colour.into(),
        })
        .collect()
}

/// Builds the colour table over the units `rows` names, for `year`.
pub async fn build(
    ctx: &Context<'_>,
    dataset: &Dataset,
    rows: ResolvedSubject,
    year: domain::SchoolYear,
    group: domain::ValueGroup,
) -> ApiResult<ColourTable> {
    let (owner, members) = match rows {
        ResolvedSubject::Owner(owner) => (Some(owner), None),
        ResolvedSubject::Members { owner, units } => (owner, Some(units)),
        ResolvedSubject::Nation => (None, None),
    };
    let units: Vec<domain::Unit> = dataset
        .units()
        .iter()
        .filter(|unit| match (&members, &owner) {
            (Some(members), _) => members.contains(&unit.id),
            (None, Some(owner)) => unit.owner_id == owner.id && unit.is_active_in(year),
            (None, None) => false,
        })
        .cloned()
        .collect();
    // Load the rows' owners in one batch now, so that `unit { owner }` in every row is a cache
    // hit instead of a batch whose size depends on when each row is resolved.
    loader(ctx)
        .load_many(units.iter().map(|unit| unit.owner_id))
        .await
        .map_err(ApiError::from)?;
    let figures = dataset.colour_table(units, owner.as_ref().map(|owner| owner.id), year);
    let columns: Vec<Indicator> = dataset
        .indicators()
        .iter()
        .cloned()
        .map(Indicator::from)
        .collect();
    Ok(ColourTable {
        school_year: SchoolYear(year),
        group: group.code(),
        rows: figures
            .rows
            .into_iter()
            .map(|(unit, row)| ColourTableRow {
                unit: Unit(unit),
                cells: cells(&columns, row),
            })
            .collect(),
        owner_row: owner
            .zip(figures.owner_row)
            .map(|(owner, row)| ColourTableReferenceRow {
                label: owner.name.clone(),
                owner: Some(Owner(owner)),
                cells: cells(&columns, row),
            }),
        nation_row: ColourTableReferenceRow {
            label: "Nasjonalt".into(),
            owner: None,
            cells: cells(&columns, figures.nation_row),
        },
    })
}
