//! Skoleeier (owner).

use async_graphql::{Context, ID, Object, SimpleObject};

use super::{
    IndicatorValue, Initiative, Unit, initiatives_connection, load_one, member_units_connection,
    values_connection,
};
use crate::{
    domain,
    graphql::{
        enums::OwnerKind,
        error::ApiResult,
        ids::{NodeKind, global_id},
        inputs::{InitiativeFilterInput, MemberUnitFilterInput, ValueFilterInput},
        loaders::CodesOf,
        paging::Connection,
    },
};

/// One kommunenummer or fylkesnummer an owner has had (kodehistorikk).
#[derive(SimpleObject)]
pub struct OwnerCodePeriod {
    /// Kommunenummer (4 digits) or fylkesnummer (2 digits).
    code: String,
    /// First calendar year the nummer was valid; null when valid since before the records.
    valid_from: Option<i32>,
    /// Last calendar year the nummer was valid; null while it is still in use.
    valid_to: Option<i32>,
}

pub struct Owner(pub domain::Owner);

/// Skoleeier (owner): a kommune, fylkeskommune, private owner or the state, running units.
#[Object]
impl Owner {
    /// Global id (Relay node id).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Owner, self.0.id.0)
    }

    /// Navn (name), e.g. "Lillestrøm kommune".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Type skoleeier: kommune, fylkeskommune, privat or stat.
    async fn kind(&self) -> OwnerKind {
        self.0.kind.into()
    }

    /// Organisasjonsnummer (9 digits) in Enhetsregisteret.
    async fn org_number(&self) -> Option<&str> {
        self.0.org_number.as_ref().map(domain::OrgNumber::as_str)
    }

    /// Fylkesnummer of the county the owner lies in today.
    async fn county_number(&self) -> Option<&str> {
        self.0
            .county_number
            .as_ref()
            .map(domain::CountyNumber::as_str)
    }

    /// Gjeldende kommunenummer or fylkesnummer (current code); null for owners without one.
    async fn code(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let codes = load_one(ctx, CodesOf(self.0.id)).await?.unwrap_or_default();
        Ok(codes
            .into_iter()
            .max_by_key(|period| period.valid_to.unwrap_or(i32::MAX))
            .map(|period| period.code))
    }

    /// Every kommunenummer / fylkesnummer the owner has had, oldest first, including those of
    /// municipalities merged into it (e.g. Skedsmo, Fet and Sørum for Lillestrøm).
    async fn code_history(&self, ctx: &Context<'_>) -> ApiResult<Vec<OwnerCodePeriod>> {
        let codes = load_one(ctx, CodesOf(self.0.id)).await?.unwrap_or_default();
        Ok(codes
            .into_iter()
            .map(|period| OwnerCodePeriod {
                code: period.code,
                valid_from: period.valid_from,
                valid_to: period.valid_to,
            })
            .collect())
    }

    /// Enheter (units) the owner runs, optionally of one kind or active in one skoleår.
    async fn units(
        &self,
        ctx: &Context<'_>,
        filter: Option<MemberUnitFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Unit>> {
        member_units_connection(ctx, self.0.id, filter, (after, before, first, last)).await
    }

    /// Indikatorverdier (values) published for the owner itself, e.g. by Udir at kommune level.
    async fn values(
        &self,
        ctx: &Context<'_>,
        filter: Option<ValueFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<IndicatorValue>> {
        values_connection(
            ctx,
            self.0.id,
            filter.as_ref(),
            (after, before, first, last),
        )
        .await
    }

    /// The skoleeier's own tiltak (initiatives), optionally running in one skoleår or with one
    /// status. Read by the skoleeier's roles and by the roles of its enheter.
    async fn initiatives(
        &self,
        ctx: &Context<'_>,
        filter: Option<InitiativeFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Initiative>> {
        initiatives_connection(ctx, self.0.id, filter, false, (after, before, first, last)).await
    }

    /// Oversikt: every tiltak of the skoleeier's enheter, optionally running in one skoleår or
    /// with one status; each with its targets against the latest values and its latest
    /// evaluation. Read by the skoleeier's roles (an enhet's roles see their own enhet's).
    async fn initiative_overview(
        &self,
        ctx: &Context<'_>,
        filter: Option<InitiativeFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Initiative>> {
        initiatives_connection(ctx, self.0.id, filter, true, (after, before, first, last)).await
    }
}
