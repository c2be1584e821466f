//! The catalogue: school years, data sources (datakilder) and indicators (indikatorer).

use std::collections::HashMap;

use super::{Page, Sql, Store, StoreResult, page::PagedQuery};
use crate::domain::{
    ColourMode, ColourRule, DataSource, DataSourceId, Direction, DomainError, Indicator,
    IndicatorCategory, IndicatorId, SchoolYear, Sensitivity, UnitKind, UnitOfMeasure,
};

#[derive(sqlx::FromRow)]
struct DataSourceRow {
    id: i64,
    code: String,
    name: String,
    publisher: String,
    description: String,
    sensitivity: String,
    suppression_threshold: i64,
    min_group_size: i64,
    last_updated: Option<chrono::DateTime<chrono::Utc>>,
}

impl TryFrom<DataSourceRow> for DataSource {
    type Error = DomainError;

    fn try_from(row: DataSourceRow) -> Result<Self, DomainError> {
        Ok(DataSource {
            id: DataSourceId(row.id),
            code: row.code,
            name: row.name,
            publisher: row.publisher,
            description: row.description,
            sensitivity: Sensitivity::parse(&row.sensitivity)?,
            suppression_threshold: row.suppression_threshold,
            min_group_size: row.min_group_size,
            last_updated: row.last_updated,
        })
    }
}

const INDICATOR_COLUMNS: &str = "indicators.id, indicators.code, indicators.name, \
    indicators.description, indicators.source_id, indicators.category, indicators.unit_of_measure, \
    indicators.direction, indicators.decimals, indicators.min_value, indicators.max_value, \
    indicators.colour_mode, indicators.colour_green, indicators.colour_red, indicators.colour_margin";

#[derive(sqlx::FromRow)]
struct IndicatorRow {
    id: i64,
    code: String,
    name: String,
    description: String,
    source_id: i64,
    category: String,
    unit_of_measure: String,
    direction: String,
    decimals: i64,
    min_value: Option<f64>,
    max_value: Option<f64>,
    colour_mode: String,
    colour_green: Option<f64>,
    colour_red: Option<f64>,
    colour_margin: Option<f64>,
}

impl IndicatorRow {
    fn into_indicator(self, applies_to: Vec<UnitKind>) -> Result<Indicator, DomainError> {
        Ok(Indicator {
            id: IndicatorId(self.id),
            code: self.code,
            name: self.name,
            description: self.description,
            source_id: DataSourceId(self.source_id),
            category: IndicatorCategory::parse(&self.category)?,
            unit_of_measure: UnitOfMeasure::parse(&self.unit_of_measure)?,
            direction: Direction::parse(&self.direction)?,
            decimals: u8::try_from(self.decimals).unwrap_or(u8::MAX),
            min_value: self.min_value,
            max_value: self.max_value,
            colour_rule: ColourRule {
                mode: ColourMode::parse(&self.colour_mode)?,
                green: self.colour_green,
                red: self.colour_red,
                margin: self.colour_margin,
            },
            applies_to,
        })
    }
}

#[derive(sqlx::FromRow)]
struct UnitKindRow {
    indicator_id: i64,
    unit_kind: String,
}

/// An indicator with one of the unit kinds it applies to (none: it applies to no kind yet).
#[derive(sqlx::FromRow)]
struct IndicatorKindRow {
    #[sqlx(flatten)]
    indicator: IndicatorRow,
    unit_kind: Option<String>,
}

/// The start of a statement reading indicators with their unit kinds in one go, up to the
/// `WHERE` whose condition the caller adds (a paged list cannot use it: its `LIMIT` counts rows).
fn indicators_with_kinds() -> Sql {
    let mut sql = Sql::new("SELECT ");
    sql.push(INDICATOR_COLUMNS).push(
        ", k.unit_kind FROM indicators \
         LEFT JOIN indicator_unit_kinds k ON k.indicator_id = indicators.id WHERE ",
    );
    sql
}

/// Filters for the indicator list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct IndicatorFilter {
    /// Data source code (e.g. `udir-elevundersokelsen`).
    pub source_code: Option<String>,
    pub category: Option<IndicatorCategory>,
    pub unit_kind: Option<UnitKind>,
    pub codes: Option<Vec<String>>,
}

impl Store {
    pub async fn school_years(&self) -> StoreResult<Vec<SchoolYear>> {
        let rows: Vec<(i64,)> = self
            .fetch_all(Sql::new("SELECT year FROM school_years ORDER BY year"))
            .await?;
        rows.into_iter()
            .map(|(year,)| Ok(SchoolYear::try_from(year)?))
            .collect()
    }

    /// All data sources: a short, fixed list, so not paged.
    pub async fn data_sources(&self, ids: Option<&[DataSourceId]>) -> StoreResult<Vec<DataSource>> {
        let mut sql = Sql::new(
            "SELECT id, code, name, publisher, description, sensitivity, suppression_threshold, \
             min_group_size, last_updated FROM data_sources",
        );
        if let Some(ids) = ids {
            sql.push(" WHERE id IN ")
                .bind_list(ids.iter().map(|id| id.0));
        }
        sql.push(" ORDER BY id");
        let rows: Vec<DataSourceRow> = self.fetch_all(sql).await?;
        Ok(rows
            .into_iter()
            .map(DataSource::try_from)
            .collect::<Result<_, _>>()?)
    }

    pub async fn indicators_page(
        &self,
        filter: &IndicatorFilter,
        page: &Page,
    ) -> StoreResult<Vec<Indicator>> {
        let mut conditions = Sql::default();
        if let Some(source) = &filter.source_code {
            conditions
                .push(" AND indicators.source_id IN (SELECT id FROM data_sources WHERE code = ")
                .bind(source.as_str())
                .push(")");
        }
        if let Some(category) = filter.category {
            conditions
                .push(" AND indicators.category = ")
                .bind(category.as_str());
        }
        if let Some(kind) = filter.unit_kind {
            conditions
                .push(" AND EXISTS (SELECT 1 FROM indicator_unit_kinds k WHERE k.indicator_id = indicators.id AND k.unit_kind = ")
                .bind(kind.as_str())
                .push(")");
        }
        if let Some(codes) = filter.codes.as_ref().filter(|codes| !codes.is_empty()) {
            conditions
                .push(" AND indicators.code IN ")
                .bind_list(codes.iter().map(String::as_str));
        }
        let query = PagedQuery {
            columns: INDICATOR_COLUMNS,
            from: "indicators",
            conditions,
            id: "indicators.id",
            parent: None,
        };
        let rows = self.fetch_all(query.build(page)).await?;
        self.with_unit_kinds(rows).await
    }

    pub async fn indicators_by_ids(&self, ids: &[IndicatorId]) -> StoreResult<Vec<Indicator>> {
        let mut sql = indicators_with_kinds();
        sql.push("indicators.id IN ")
            .bind_list(ids.iter().map(|id| id.0));
        self.fetch_indicators_with_kinds(sql).await
    }

    pub async fn indicators_by_codes(&self, codes: &[String]) -> StoreResult<Vec<Indicator>> {
        let mut sql = indicators_with_kinds();
        sql.push("indicators.code IN ")
            .bind_list(codes.iter().map(String::as_str));
        self.fetch_indicators_with_kinds(sql).await
    }

    /// Runs an [`indicators_with_kinds`] statement and folds its rows, one per indicator and
    /// kind, into indicators.
    async fn fetch_indicators_with_kinds(&self, mut sql: Sql) -> StoreResult<Vec<Indicator>> {
        sql.push(" ORDER BY indicators.id, k.unit_kind");
        let mut indicators: Vec<(IndicatorRow, Vec<UnitKind>)> = Vec::new();
        for row in self.fetch_all::<IndicatorKindRow>(sql).await? {
            let kind = row.unit_kind.as_deref().map(UnitKind::parse).transpose()?;
            match indicators.last_mut() {
                Some((indicator, kinds)) if indicator.id == row.indicator.id => {
                    kinds.extend(kind);
                }
                _ => indicators.push((row.indicator, kind.into_iter().collect())),
            }
        }
        Ok(indicators
            .into_iter()
            .map(|(row, applies_to)| row.into_indicator(applies_to))
            .collect::<Result<_, _>>()?)
    }

    /// Completes indicator rows with the unit kinds they apply to, in one more statement.
    async fn with_unit_kinds(&self, rows: Vec<IndicatorRow>) -> StoreResult<Vec<Indicator>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT indicator_id, unit_kind FROM indicator_unit_kinds WHERE indicator_id IN ",
        );
        sql.bind_list(rows.iter().map(|row| row.id));
        sql.push(" ORDER BY indicator_id, unit_kind");
        let mut kinds: HashMap<i64, Vec<UnitKind>> = HashMap::new();
        for row in self.fetch_all::<UnitKindRow>(sql).await? {
            kinds
                .entry(row.indicator_id)
                .or_default()
                .push(UnitKind::parse(&row.unit_kind)?);
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let applies_to = kinds.remove(&row.id).unwrap_or_default();
                row.into_indicator(applies_to)
            })
            .collect::<Result<_, _>>()?)
    }
}
