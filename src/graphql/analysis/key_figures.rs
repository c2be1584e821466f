//! Nøkkelinformasjon (key figures) on a skoleeier's start page.

use async_graphql::SimpleObject;

use super::Aggregate;
use crate::{
    domain::{self, Dataset},
    graphql::objects::{Indicator, Owner, SchoolYear},
};

/// Nøkkeltall for one indikator: the skoleeier's value beside the national value.
#[derive(SimpleObject)]
pub struct KeyFigure {
    /// Indikator of the nøkkeltall.
    indicator: Indicator,
    /// Skoleeiers verdi (the owner's aggregate).
    owner_value: Aggregate,
    /// Nasjonal verdi (the national aggregate).
    nation_value: Aggregate,
}

/// Nøkkelinformasjon (key figures) on the skoleeier's start page: per indikator the owner's value
/// beside the national value for one skoleår.
#[derive(SimpleObject)]
pub struct KeyFigures {
    /// Skoleeier (owner) the figures are for.
    owner: Owner,
    /// Skoleår of the figures.
    school_year: SchoolYear,
    /// Nøkkeltall: one per indikator, in the order asked for.
    figures: Vec<KeyFigure>,
}

pub fn build(dataset: &Dataset, owner: domain::Owner, year: domain::SchoolYear) -> KeyFigures {
    let figures = dataset
        .indicators()
        .iter()
        .zip(dataset.key_figures(owner.id, year))
        .map(|(indicator, (owner_value, nation_value))| KeyFigure {
            indicator: Indicator::from(indicator.clone()),
            owner_value: Aggregate::new(indicator, year, owner_value),
            nation_value: Aggregate::new(indicator, year, nation_value),
        })
        .collect();
    KeyFigures {
        owner: Owner(owner),
        school_year: SchoolYear(year),
        figures,
    }
}
