//! Nasjonal kulturskoleaggregering, for Norsk kulturskoleråd.

use async_graphql::{Context, SimpleObject};

use super::{Aggregate, count};
use crate::{
    domain::{self, ArtsSchoolRow, Dataset},
    graphql::{
        error::{ApiError, ApiResult},
        objects::{Owner, SchoolYear, loader},
    },
};

/// Rad i kulturskoleaggregeringen: one skoleeier with its kulturskoler's aggregates.
#[derive(SimpleObject)]
pub struct ArtsSchoolOwnerRow {
    /// Skoleeier (owner) of the kulturskoler.
    owner: Owner,
    /// Antall kulturskoler (arts schools) of the owner active that skoleår.
    arts_schools: i32,
    /// Aggregater: one per indikator, in the order asked for, with their coverage.
    aggregates: Vec<Aggregate>,
}

/// Nasjonal rad i kulturskoleaggregeringen: every kulturskole in the country.
#[derive(SimpleObject)]
pub struct ArtsSchoolNationRow {
    /// Antall kulturskoler (arts schools) active that skoleår.
    arts_schools: i32,
    /// Aggregater: one per indikator, in the order asked for, with their coverage.
    aggregates: Vec<Aggregate>,
}

/// Nasjonal kulturskoleaggregering (for Norsk kulturskoleråd): per skoleeier with a kulturskole
/// and for the nation, the aggregates of indikatorer across datakilder (the kulturskole pupil and
/// parent surveys, GSI, KOSTRA).
#[derive(SimpleObject)]
pub struct ArtsSchoolAggregation {
    /// Skoleår of the aggregation.
    school_year: SchoolYear,
    /// Skoleeiere (owners) that have a kulturskole that skoleår, by name.
    owners: Vec<ArtsSchoolOwnerRow>,
    /// Nasjonalt: all kulturskoler.
    nation: ArtsSchoolNationRow,
}

fn aggregates(dataset: &Dataset, year: domain::SchoolYear, row: &ArtsSchoolRow) -> Vec<Aggregate> {
    dataset
        .indicators()
        .iter()
        .zip(&row.aggregates)
        .map(|(indicator, figure)| Aggregate::new(indicator, year, *figure))
        .collect()
}

pub async fn build(
    ctx: &Context<'_>,
    dataset: &Dataset,
    year: domain::SchoolYear,
) -> ApiResult<ArtsSchoolAggregation> {
    let mut owners: Vec<domain::Owner> = loader(ctx)
        .load_many(dataset.arts_school_owners(year))
        .await
        .map_err(ApiError::from)?
        .into_values()
        .collect();
    owners.sort_by(|a, b| a.name.cmp(&b.name));
    let rows = owners
        .into_iter()
        .map(|owner| {
            let row = dataset.arts_school_row(Some(owner.id), year);
            ArtsSchoolOwnerRow {
                arts_schools: count(row.arts_schools),
                aggregates: aggregates(dataset, year, &row),
                owner: Owner(owner),
            }
        })
        .collect();
    let nation = dataset.arts_school_row(None, year);
    Ok(ArtsSchoolAggregation {
        school_year: SchoolYear(year),
        owners: rows,
        nation: ArtsSchoolNationRow {
            arts_schools: count(nation.arts_schools),
            aggregates: aggregates(dataset, year, &nation),
        },
    })
}
