//! Kvalitetsbeskrivelser (quality frameworks with their versions) and egenvurderinger
//! (assessments with their history and staff votes).
//!
//! Writes that edit something a caller read first (a framework's version, an assessment's
//! revision) are guarded: the `UPDATE` names the version the caller edited, and when it matches no
//! row the whole transaction is rolled back and the caller told (see [`Store::execute_guarded`]).
//! Two concurrent writers of the same revision cannot both succeed, on either database: the
//! second `UPDATE` waits for the first transaction and then finds the revision moved on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Page, Sql, Store, StoreError, StoreResult, StoredRow, page::PagedQuery};
use crate::domain::{
    AssessedUnit, Assessment, AssessmentId, AssessmentRevision, DomainError, Framework,
    FrameworkContent, FrameworkId, FrameworkStatus, FrameworkVersion, FrameworkVersionId, Level,
    OwnerId, RestrictedScope, SchoolYear, UnitId, Vote,
};

const FRAMEWORK_COLUMNS: &str = "quality_frameworks.id, quality_frameworks.code, \
    quality_frameworks.owner_id, quality_frameworks.status, quality_frameworks.version";

const VERSION_COLUMNS: &str = "quality_framework_versions.id, \
    quality_framework_versions.framework_id, quality_framework_versions.version, \
    quality_framework_versions.content, quality_framework_versions.created_at";

const REVISION_COLUMNS: &str = "r.assessment_id, r.revision, r.version_id, r.level, \
    r.strengths, r.next_steps, r.assessed_by, r.assessed_at";

/// An assessment with its current revision (absent while nothing is agreed).
const ASSESSMENT_COLUMNS: &str = "a.id, a.unit_id, a.framework_id, a.criterion, a.school_year, \
    a.revision, r.revision AS current_revision, r.version_id, r.level, r.strengths, \
    r.next_steps, r.assessed_by, r.assessed_at";

const ASSESSMENT_FROM: &str = "assessments a JOIN units u ON u.id = a.unit_id \
    LEFT JOIN assessment_revisions r ON r.assessment_id = a.id AND r.revision = a.revision";

#[derive(sqlx::FromRow)]
struct FrameworkRow {
    id: i64,
    code: String,
    owner_id: Option<i64>,
    status: String,
    version: i64,
}

impl TryFrom<FrameworkRow> for Framework {
    type Error = DomainError;

    fn try_from(row: FrameworkRow) -> Result<Self, DomainError> {
        Ok(Framework {
            id: FrameworkId(row.id),
            code: row.code,
            owner: row.owner_id.map(OwnerId),
            status: FrameworkStatus::parse(&row.status)?,
            version: row.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: i64,
    framework_id: i64,
    version: i64,
    content: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<VersionRow> for FrameworkVersion {
    type Error = StoreError;

    fn try_from(row: VersionRow) -> StoreResult<Self> {
        Ok(FrameworkVersion {
            id: FrameworkVersionId(row.id),
            framework_id: FrameworkId(row.framework_id),
            version: row.version,
            content: serde_json::from_str(&row.content)?,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    assessment_id: i64,
    revision: i64,
    version_id: i64,
    level: i64,
    strengths: String,
    next_steps: String,
    assessed_by: String,
    assessed_at: DateTime<Utc>,
}

impl TryFrom<RevisionRow> for AssessmentRevision {
    type Error = DomainError;

    fn try_from(row: RevisionRow) -> Result<Self, DomainError> {
        Ok(AssessmentRevision {
            assessment_id: AssessmentId(row.assessment_id),
            revision: row.revision,
            version_id: FrameworkVersionId(row.version_id),
            level: Level::new(row.level)?,
            strengths: row.strengths,
            next_steps: row.next_steps,
            assessed_by: row.assessed_by,
            assessed_at: row.assessed_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AssessmentRow {
    id: i64,
    unit_id: i64,
    framework_id: i64,
    criterion: String,
    school_year: i64,
    revision: i64,
    current_revision: Option<i64>,
    version_id: Option<i64>,
    level: Option<i64>,
    strengths: Option<String>,
    next_steps: Option<String>,
    assessed_by: Option<String>,
    assessed_at: Option<DateTime<Utc>>,
}

impl TryFrom<AssessmentRow> for Assessment {
    type Error = DomainError;

    fn try_from(row: AssessmentRow) -> Result<Self, DomainError> {
        let current = match (
            row.current_revision,
            row.version_id,
            row.level,
            row.assessed_at,
        ) {
            (Some(revision), Some(version_id), Some(level), Some(assessed_at)) => {
                Some(AssessmentRevision::try_from(RevisionRow {
                    assessment_id: row.id,
                    revision,
                    version_id,
                    level,
                    strengths: row.strengths.unwrap_or_default(),
                    next_steps: row.next_steps.unwrap_or_default(),
                    assessed_by: row.assessed_by.unwrap_or_default(),
                    assessed_at,
                })?)
            }
            _ => None,
        };
        Ok(Assessment {
            id: AssessmentId(row.id),
            unit_id: UnitId(row.unit_id),
            framework_id: FrameworkId(row.framework_id),
            criterion: row.criterion,
            school_year: SchoolYear::try_from(row.school_year)?,
            revision: row.revision,
            current,
        })
    }
}

#[derive(sqlx::FromRow)]
struct VoteRow {
    assessment_id: i64,
    voter: String,
    level: i64,
    shown: bool,
}

/// Which frameworks a list shows: every published or retired one, and the drafts the caller may
/// edit (national ones for national admins, an owner's for its owner admins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FrameworkFilter {
    pub national_drafts: bool,
    pub drafts_of_owners: Vec<OwnerId>,
}

/// Which of a unit's assessments a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AssessmentFilter {
    pub framework: Option<FrameworkId>,
    pub criterion: Option<String>,
    pub school_year: Option<SchoolYear>,
}

/// Names one assessment: a unit's, for a criterion of a framework, in a school year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssessmentKey {
    pub unit: UnitId,
    pub framework: FrameworkId,
    pub criterion: String,
    pub school_year: SchoolYear,
}

impl AssessmentKey {
    /// The key that names `assessment`.
    pub fn of(assessment: &Assessment) -> Self {
        Self {
            unit: assessment.unit_id,
            framework: assessment.framework_id,
            criterion: assessment.criterion.clone(),
            school_year: assessment.school_year,
        }
    }

    /// ` AND` conditions naming the assessment `a`.
    fn conditions(&self, sql: &mut Sql) {
        sql.push(" AND a.unit_id = ")
            .bind(self.unit.0)
            .push(" AND a.framework_id = ")
            .bind(self.framework.0)
            .push(" AND a.criterion = ")
            .bind(self.criterion.as_str())
            .push(" AND a.school_year = ")
            .bind(i64::from(self.school_year.start_year()));
    }

    /// The statement that makes sure the assessment exists (at revision 0 when new).
    fn ensure_exists(&self) -> Sql {
        let mut sql = Sql::new(
            "INSERT INTO assessments (unit_id, framework_id, criterion, school_year, revision) VALUES (",
        );
        sql.bind(self.unit.0)
            .push(", ")
            .bind(self.framework.0)
            .push(", ")
            .bind(self.criterion.as_str())
            .push(", ")
            .bind(i64::from(self.school_year.start_year()))
            .push(", 0) ON CONFLICT (unit_id, framework_id, criterion, school_year) DO NOTHING");
        sql
    }
}

/// A new revision of an assessment, checked: what a unit leader agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentWrite {
    pub key: AssessmentKey,
    /// The revision the writer edited (0 for a new assessment).
    pub expected_revision: i64,
    pub version: FrameworkVersionId,
    pub level: Level,
    pub strengths: String,
    pub next_steps: String,
    pub assessed_by: String,
}

/// Whether a guarded write took effect, or found what it edited changed meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Done,
    Stale,
}

fn frameworks_from(rows: Vec<FrameworkRow>) -> StoreResult<Vec<Framework>> {
    Ok(rows
        .into_iter()
        .map(Framework::try_from)
        .collect::<Result<_, _>>()?)
}

fn versions_from(rows: Vec<VersionRow>) -> StoreResult<Vec<FrameworkVersion>> {
    rows.into_iter().map(FrameworkVersion::try_from).collect()
}

fn assessments_from(rows: Vec<AssessmentRow>) -> StoreResult<Vec<Assessment>> {
    Ok(rows
        .into_iter()
        .map(Assessment::try_from)
        .collect::<Result<_, _>>()?)
}

/// Restricts assessments `a` of units `u` to those `scope` may read on their own: the caller's
/// units and its owners' units. National roles read none (only distributions).
fn readable_assessments(sql: &mut Sql, scope: &RestrictedScope) {
    sql.push(" AND (1 = 0");
    if !scope.units.is_empty() {
        sql.push(" OR a.unit_id IN ")
            .bind_list(scope.units.iter().map(|unit| unit.0));
    }
    if !scope.owners.is_empty() {
        sql.push(" OR u.owner_id IN ")
            .bind_list(scope.owners.iter().map(|owner| owner.0));
    }
    sql.push(")");
}

impl Store {
    /// Fetches one page of children for many parents in one statement, and converts each
    /// parent's rows, keyed by `key` of the parent id.
    async fn children<R: StoredRow, K: std::hash::Hash + Eq, V>(
        &self,
        sql: Sql,
        key: impl Fn(i64) -> K,
        convert: impl Fn(Vec<R>) -> StoreResult<Vec<V>>,
    ) -> StoreResult<HashMap<K, Vec<V>>> {
        self.fetch_children::<R>(sql)
            .await?
            .into_iter()
            .map(|(parent, rows)| Ok((key(parent), convert(rows)?)))
            .collect()
    }

    /// One page of frameworks.
    pub async fn frameworks_page(
        &self,
        filter: &FrameworkFilter,
        page: &Page,
    ) -> StoreResult<Vec<Framework>> {
        let mut conditions = Sql::new(" AND (quality_frameworks.status <> 'draft'");
        if filter.national_drafts {
            conditions.push(" OR quality_frameworks.owner_id IS NULL");
        }
        if !filter.drafts_of_owners.is_empty() {
            conditions
                .push(" OR quality_frameworks.owner_id IN ")
                .bind_list(filter.drafts_of_owners.iter().map(|owner| owner.0));
        }
        conditions.push(")");
        let query = PagedQuery {
            columns: FRAMEWORK_COLUMNS,
            from: "quality_frameworks",
            conditions,
            id: "quality_frameworks.id",
            parent: None,
        };
        frameworks_from(self.fetch_all(query.build(page)).await?)
    }

    pub async fn frameworks_by_ids(&self, ids: &[FrameworkId]) -> StoreResult<Vec<Framework>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(FRAMEWORK_COLUMNS)
            .push(" FROM quality_frameworks WHERE id IN ")
            .bind_list(ids.iter().map(|id| id.0));
        frameworks_from(self.fetch_all(sql).await?)
    }

    pub async fn frameworks_by_codes(&self, codes: &[String]) -> StoreResult<Vec<Framework>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(FRAMEWORK_COLUMNS)
            .push(" FROM quality_frameworks WHERE code IN ")
            .bind_list(codes.iter().map(String::as_str));
        frameworks_from(self.fetch_all(sql).await?)
    }

    /// The versions named by framework and version number, in one statement.
    pub async fn framework_versions(
        &self,
        keys: &[(FrameworkId, i64)],
    ) -> StoreResult<Vec<FrameworkVersion>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(VERSION_COLUMNS)
            .push(" FROM quality_framework_versions WHERE 1 = 0");
        for (framework, version) in keys {
            sql.push(" OR (framework_id = ")
                .bind(framework.0)
                .push(" AND version = ")
                .bind(*version)
                .push(")");
        }
        versions_from(self.fetch_all(sql).await?)
    }

    pub async fn framework_versions_by_ids(
        &self,
        ids: &[FrameworkVersionId],
    ) -> StoreResult<Vec<FrameworkVersion>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(VERSION_COLUMNS)
            .push(" FROM quality_framework_versions WHERE id IN ")
            .bind_list(ids.iter().map(|id| id.0));
        versions_from(self.fetch_all(sql).await?)
    }

    /// One page of versions for each framework, oldest first, in one statement.
    pub async fn versions_of_frameworks(
        &self,
        frameworks: &[FrameworkId],
        _filter: &(),
        page: &Page,
    ) -> StoreResult<HashMap<FrameworkId, Vec<FrameworkVersion>>> {
        let mut conditions = Sql::new(" AND quality_framework_versions.framework_id IN ");
        conditions.bind_list(frameworks.iter().map(|id| id.0));
        let query = PagedQuery {
            columns: VERSION_COLUMNS,
            from: "quality_framework_versions",
            conditions,
            id: "quality_framework_versions.id",
            parent: Some("quality_framework_versions.framework_id"),
        };
        self.children(query.build(page), FrameworkId, versions_from)
            .await
    }

    /// Creates a draft framework at version 1; `Stale` when the code is taken.
    pub async fn create_framework(
        &self,
        code: &str,
        owner: Option<OwnerId>,
        content: &FrameworkContent,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Written> {
        let mut create =
            Sql::new("INSERT INTO quality_frameworks (code, owner_id, status, version) VALUES (");
        create
            .bind(code)
            .push(", ")
            .bind(owner.map(|owner| owner.0))
            .push(", 'draft', 1) ON CONFLICT (code) DO NOTHING");
        let mut version = Sql::new(
            "INSERT INTO quality_framework_versions (framework_id, version, content, created_by, created_at) \
             SELECT id, version, ",
        );
        version
            .bind(serde_json::to_string(content)?)
            .push(", ")
            .bind(created_by)
            .push(", ")
            .bind(now)
            .push(" FROM quality_frameworks WHERE code = ")
            .bind(code);
        self.execute_guarded(vec![create, version], 0).await
    }

    /// Makes `content` the next version of a framework that is at `expected_version` and not
    /// retired; the earlier versions stay as they were. `Stale` when the framework moved on.
    pub async fn edit_framework(
        &self,
        framework: FrameworkId,
        expected_version: i64,
        content: &FrameworkContent,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Written> {
        let mut bump = Sql::new("UPDATE quality_frameworks SET version = version + 1 WHERE id = ");
        bump.bind(framework.0)
            .push(" AND version = ")
            .bind(expected_version)
            .push(" AND status <> 'retired'");
        let mut version = Sql::new(
            "INSERT INTO quality_framework_versions (framework_id, version, content, created_by, created_at) \
             SELECT id, version, ",
        );
        version
            .bind(serde_json::to_string(content)?)
            .push(", ")
            .bind(created_by)
            .push(", ")
            .bind(now)
            .push(" FROM quality_frameworks WHERE id = ")
            .bind(framework.0);
        self.execute_guarded(vec![bump, version], 0).await
    }

    /// Moves a framework from status `from` to `to`; `Stale` when it was not in `from`.
    pub async fn change_framework_status(
        &self,
        framework: FrameworkId,
        from: FrameworkStatus,
        to: FrameworkStatus,
    ) -> StoreResult<Written> {
        let mut sql = Sql::new("UPDATE quality_frameworks SET status = ");
        sql.bind(to.as_str())
            .push(" WHERE id = ")
            .bind(framework.0)
            .push(" AND status = ")
            .bind(from.as_str());
        self.execute_guarded(vec![sql], 0).await
    }

    /// One page of readable assessments for each unit, in one statement: only what `scope` may
    /// read on its own: its units' and its owners' units, never through national roles.
    pub async fn assessments_of_units(
        &self,
        scope: &RestrictedScope,
        units: &[UnitId],
        filter: &AssessmentFilter,
        page: &Page,
    ) -> StoreResult<HashMap<UnitId, Vec<Assessment>>> {
        let mut conditions = Sql::new(" AND a.unit_id IN ");
        conditions.bind_list(units.iter().map(|unit| unit.0));
        readable_assessments(&mut conditions, scope);
        if let Some(framework) = filter.framework {
            conditions.push(" AND a.framework_id = ").bind(framework.0);
        }
        if let Some(criterion) = &filter.criterion {
            conditions
                .push(" AND a.criterion = ")
                .bind(criterion.as_str());
        }
        if let Some(year) = filter.school_year {
            conditions
                .push(" AND a.school_year = ")
                .bind(i64::from(year.start_year()));
        }
        let query = PagedQuery {
            columns: ASSESSMENT_COLUMNS,
            from: ASSESSMENT_FROM,
            conditions,
            id: "a.id",
            parent: Some("a.unit_id"),
        };
        self.children(query.build(page), UnitId, assessments_from)
            .await
    }

    /// The assessments `keys` name that exist and `scope` may read on their own (see
    /// [`Store::assessments_of_units`]), in one statement.
    pub async fn assessments_by_keys(
        &self,
        scope: &RestrictedScope,
        keys: &[AssessmentKey],
    ) -> StoreResult<Vec<Assessment>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(ASSESSMENT_COLUMNS)
            .push(" FROM ")
            .push(ASSESSMENT_FROM)
            .push(" WHERE a.unit_id IN ")
            .bind_list(keys.iter().map(|key| key.unit.0))
            .push(" AND a.framework_id IN ")
            .bind_list(keys.iter().map(|key| key.framework.0))
            .push(" AND a.criterion IN ")
            .bind_list(keys.iter().map(|key| key.criterion.as_str()))
            .push(" AND a.school_year IN ")
            .bind_list(
                keys.iter()
                    .map(|key| i64::from(key.school_year.start_year())),
            );
        readable_assessments(&mut sql, scope);
        sql.push(" ORDER BY a.id");
        let mut assessments = assessments_from(self.fetch_all(sql).await?)?;
        // The lists above allow every combination of the keys' parts: only the keys themselves.
        assessments.retain(|assessment| keys.contains(&AssessmentKey::of(assessment)));
        Ok(assessments)
    }

    /// The assessment `key` names, if it exists.
    pub async fn assessment(&self, key: &AssessmentKey) -> StoreResult<Option<Assessment>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(ASSESSMENT_COLUMNS)
            .push(" FROM ")
            .push(ASSESSMENT_FROM)
            .push(" WHERE 1 = 1");
        key.conditions(&mut sql);
        Ok(assessments_from(self.fetch_all(sql).await?)?.pop())
    }

    /// One page of the history (every revision, oldest first) of each assessment.
    pub async fn revisions_of_assessments(
        &self,
        assessments: &[AssessmentId],
        _filter: &(),
        page: &Page,
    ) -> StoreResult<HashMap<AssessmentId, Vec<AssessmentRevision>>> {
        let mut conditions = Sql::new(" AND r.assessment_id IN ");
        conditions.bind_list(assessments.iter().map(|id| id.0));
        let query = PagedQuery {
            columns: REVISION_COLUMNS,
            from: "assessment_revisions r",
            conditions,
            // Revisions are numbered per assessment: the cursor is the revision number.
            id: "r.revision",
            parent: Some("r.assessment_id"),
        };
        self.children(query.build(page), AssessmentId, |rows: Vec<RevisionRow>| {
            Ok(rows
                .into_iter()
                .map(AssessmentRevision::try_from)
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    /// The staff votes of each assessment, in one statement.
    pub async fn votes_of_assessments(
        &self,
        assessments: &[AssessmentId],
    ) -> StoreResult<HashMap<AssessmentId, Vec<Vote>>> {
        let mut sql = Sql::new(
            "SELECT assessment_id, voter, level, shown FROM assessment_votes WHERE assessment_id IN ",
        );
        sql.bind_list(assessments.iter().map(|id| id.0))
            .push(" ORDER BY id");
        let mut votes: HashMap<AssessmentId, Vec<Vote>> = HashMap::new();
        for row in self.fetch_all::<VoteRow>(sql).await? {
            let vote = Vote {
                assessment_id: AssessmentId(row.assessment_id),
                voter: row.voter,
                level: Level::new(row.level).map_err(StoreError::from)?,
                shown: row.shown,
            };
            votes.entry(vote.assessment_id).or_default().push(vote);
        }
        Ok(votes)
    }

    /// Writes the next revision of an assessment, creating it when new; `Stale` (and nothing
    /// written) when its revision is no longer `expected_revision`.
    pub async fn write_assessment(
        &self,
        write: &AssessmentWrite,
        now: DateTime<Utc>,
    ) -> StoreResult<Written> {
        let mut bump = Sql::new("UPDATE assessments SET revision = revision + 1, level = ");
        bump.bind(i64::from(write.level.get()))
            .push(" WHERE revision = ")
            .bind(write.expected_revision)
            .push(" AND id IN (SELECT a.id FROM assessments a WHERE 1 = 1");
        write.key.conditions(&mut bump);
        bump.push(")");
        let mut revision = Sql::new(
            "INSERT INTO assessment_revisions (assessment_id, revision, version_id, level, \
             strengths, next_steps, assessed_by, assessed_at) SELECT a.id, a.revision, ",
        );
        revision
            .bind(write.version.0)
            .push(", ")
            .bind(i64::from(write.level.get()))
            .push(", ")
            .bind(write.strengths.as_str())
            .push(", ")
            .bind(write.next_steps.as_str())
            .push(", ")
            .bind(write.assessed_by.as_str())
            .push(", ")
            .bind(now)
            .push(" FROM assessments a WHERE 1 = 1");
        write.key.conditions(&mut revision);
        self.execute_guarded(vec![write.key.ensure_exists(), bump, revision], 1)
            .await
    }

    /// Records (or changes) `voter`'s own level for an assessment, creating the assessment when
    /// new; `shown` when the voter lets the group see the vote by name.
    pub async fn write_vote(
        &self,
        key: &AssessmentKey,
        voter: &str,
        level: Level,
        shown: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut vote = Sql::new(
            "INSERT INTO assessment_votes (assessment_id, voter, level, shown, voted_at) SELECT a.id, ",
        );
        vote.bind(voter)
            .push(", ")
            .bind(i64::from(level.get()))
            .push(", ")
            .bind(shown)
            .push(", ")
            .bind(now)
            .push(" FROM assessments a WHERE 1 = 1");
        key.conditions(&mut vote);
        vote.push(
            " ON CONFLICT (assessment_id, voter) DO UPDATE SET level = excluded.level, \
             shown = excluded.shown, voted_at = excluded.voted_at",
        );
        let mut id = Sql::new("SELECT a.id FROM assessments a WHERE 1 = 1");
        key.conditions(&mut id);
        let postgres = matches!(self.backend, super::Backend::Postgres(_));
        let assessment = AssessmentId(
            self.execute_then_fetch(vec![key.ensure_exists(), vote], id, |id| {
                // Every process hears of it at commit, this one through its own listener.
                postgres.then(|| super::live::notify_statement(AssessmentId(id)))
            })
            .await?,
        );
        if !postgres {
            self.votes.publish(super::VoteChange::Changed(assessment));
        }
        Ok(())
    }

    /// Every agreed level of a framework's criterion in the given school years, with the owner
    /// each unit counts under: what level distributions are computed from.
    pub async fn assessed_units(
        &self,
        framework: FrameworkId,
        criterion: &str,
        school_years: &[SchoolYear],
    ) -> StoreResult<Vec<(SchoolYear, AssessedUnit)>> {
        if school_years.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT a.school_year, a.unit_id, u.owner_id, a.level FROM assessments a \
             JOIN units u ON u.id = a.unit_id WHERE a.level IS NOT NULL AND a.framework_id = ",
        );
        sql.bind(framework.0)
            .push(" AND a.criterion = ")
            .bind(criterion)
            .push(" AND a.school_year IN ")
            .bind_list(school_years.iter().map(|year| i64::from(year.start_year())))
            .push(" ORDER BY a.school_year, a.unit_id");
        let rows: Vec<(i64, i64, i64, i64)> = self.fetch_all(sql).await?;
        rows.into_iter()
            .map(|(year, unit, owner, level)| {
                Ok((
                    SchoolYear::try_from(year)?,
                    AssessedUnit {
                        unit: UnitId(unit),
                        owner: OwnerId(owner),
                        level: Level::new(level)?,
                    },
                ))
            })
            .collect::<Result<_, DomainError>>()
            .map_err(Into::into)
    }
}
