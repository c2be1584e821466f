//! School years, data sources and indicators.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};

use super::load_reference;
use crate::{
    domain,
    graphql::{
        enums::{ColourMode, Direction, IndicatorCategory, Sensitivity, UnitKind, UnitOfMeasure},
        error::ApiResult,
        ids::{NodeKind, global_id},
    },
};

pub struct SchoolYear(pub domain::SchoolYear);

/// Skoleår (school year), named by the year it starts: 2024 is 2024-25.
#[Object]
impl SchoolYear {
    /// The calendar year the skoleår starts in (2024 for 2024-25).
    async fn year(&self) -> i32 {
        self.0.start_year()
    }

    /// Short label as in Norwegian reports, e.g. "24-25".
    async fn label(&self) -> String {
        self.0.label()
    }
}

pub struct DataSource(pub domain::DataSource);

/// Datakilde (data source): who publishes values, e.g. Udir's Elevundersøkelsen or SSB's KOSTRA.
#[Object]
impl DataSource {
    /// Global id (Relay node id).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::DataSource, self.0.id.0)
    }

    /// Stable code of the datakilde, e.g. `udir-elevundersokelsen`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Navn (name) of the datakilde.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Utgiver (publisher), e.g. Utdanningsdirektoratet or Statistisk sentralbyrå.
    async fn publisher(&self) -> &str {
        &self.0.publisher
    }

    /// Beskrivelse (description) of the datakilde.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Tilgangsnivå: public statistics or restricted local data.
    async fn sensitivity(&self) -> Sensitivity {
        self.0.sensitivity.into()
    }

    /// Prikkegrense: values from fewer respondents than this are suppressed (prikket).
    async fn suppression_threshold(&self) -> i64 {
        self.0.suppression_threshold
    }

    /// Minste gruppestørrelse (minimum group size): an aggregate of this source's restricted data
    /// shown to a caller who may not read every member on its own (a national reader's owner and
    /// national figures) must rest on at least this many counted units; otherwise it is prikket
    /// as TOO_FEW_MEMBERS. Statistics offices use 3 to 5 for institutions; the default is 3.
    async fn min_group_size(&self) -> i64 {
        self.0.min_group_size
    }

    /// Sist oppdatert: when an import (`varde import`) last changed one of the datakilde's values;
    /// null while it holds only the values it was seeded with.
    async fn last_updated(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.last_updated
    }
}

/// Fargeregel (colour rule) of an indicator, used by fargetabeller (colour tables).
#[derive(SimpleObject)]
pub struct ColourRule {
    /// How values are classified: faste grenser (absolute) or relative to a reference.
    mode: ColourMode,
    /// Grense for grønn (green threshold) in absolute mode.
    green: Option<f64>,
    /// Grense for rød (red threshold) in absolute mode.
    red: Option<f64>,
    /// Margin around the reference value in relative modes.
    margin: Option<f64>,
}

/// Shared, since every cell of a colour table names its column's indicator.
#[derive(Clone)]
pub struct Indicator(pub Arc<domain::Indicator>);

impl From<domain::Indicator> for Indicator {
    fn from(indicator: domain::Indicator) -> Self {
        Self(Arc::new(indicator))
    }
}

/// Indikator (indicator): a measure with a source, category, unit of measure and direction.
#[Object]
impl Indicator {
    /// Global id (Relay node id).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Indicator, self.0.id.0)
    }

    /// Stable code of the indikator, e.g. `eu_trivsel` or `np_lesing_5`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Navn (name), e.g. "Trivsel".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Beskrivelse (description) of what the indikator measures.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Datakilde (data source) the indikator comes from.
    async fn source(&self, ctx: &Context<'_>) -> ApiResult<DataSource> {
        load_reference(ctx, self.0.source_id).await.map(DataSource)
    }

    /// Kategori: forutsetning, prosess or resultat.
    async fn category(&self) -> IndicatorCategory {
        self.0.category.into()
    }

    /// Måleenhet (unit of measure).
    async fn unit_of_measure(&self) -> UnitOfMeasure {
        self.0.unit_of_measure.into()
    }

    /// Retning: whether a higher value is better (Mobbing: lower is better).
    async fn direction(&self) -> Direction {
        self.0.direction.into()
    }

    /// Antall desimaler (decimals) to show values with.
    async fn decimals(&self) -> i32 {
        i32::from(self.0.decimals)
    }

    /// Lowest possible value on the indikator's scale, where it has one.
    async fn min_value(&self) -> Option<f64> {
        self.0.min_value
    }

    /// Highest possible value on the indikator's scale, where it has one.
    async fn max_value(&self) -> Option<f64> {
        self.0.max_value
    }

    /// Enhetstyper (unit kinds) the indikator applies to.
    async fn applies_to(&self) -> Vec<UnitKind> {
        self.0
            .applies_to
            .iter()
            .map(|kind| (*kind).into())
            .collect()
    }

    /// Fargeregel (colour rule) for fargetabeller.
    async fn colour_rule(&self) -> ColourRule {
        let rule = self.0.colour_rule;
        ColourRule {
            mode: rule.mode.into(),
            green: rule.green,
            red: rule.red,
            margin: rule.margin,
        }
    }
}
