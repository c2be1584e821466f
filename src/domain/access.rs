//! Who may read and grant what: roles, their scopes, and the default-deny rules over them.

use super::{DomainError, InitiativeSubject, OwnerId, Subject, UnitId};

macro_rules! role_kinds {
    ($($variant:ident => $text:literal, $scope:ident);+ $(;)?) => {
        /// The kinds of role, each tied to one kind of scope.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RoleKind { $($variant),+ }

        impl RoleKind {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(input: &str) -> Result<Self, DomainError> {
                match input.trim() {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(DomainError::UnknownVariant {
                        kind: "role",
                        value: input.to_owned(),
                        allowed: concat!($($text, " "),+),
                    }),
                }
            }

            /// What the role is scoped to.
            pub fn scope_kind(self) -> ScopeKind {
                match self { $(Self::$variant => ScopeKind::$scope),+ }
            }
        }
    };
}

role_kinds!(
    NationalAdmin => "national_admin", Nation;
    NationalReader => "national_reader", Nation;
    OwnerAdmin => "owner_admin", Owner;
    OwnerReader => "owner_reader", Owner;
    UnitLeader => "unit_leader", Unit;
    UnitStaff => "unit_staff", Unit;
);

/// The kind of scope a role covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Nation,
    Owner,
    Unit,
}

/// A role with its scope: national, one owner (kommune / fylkeskommune) or one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    NationalAdmin,
    NationalReader,
    OwnerAdmin(OwnerId),
    OwnerReader(OwnerId),
    UnitLeader(UnitId),
    UnitStaff(UnitId),
}

impl Role {
    /// Builds a role from its kind and the scope it needs; a missing or superfluous scope is an
    /// error.
    pub fn new(
        kind: RoleKind,
        owner: Option<OwnerId>,
        unit: Option<UnitId>,
    ) -> Result<Self, DomainError> {
        let invalid = || DomainError::InvalidRoleScope {
            role: kind.as_str(),
            needs: match kind.scope_kind() {
                ScopeKind::Nation => "neither an owner nor a unit",
                ScopeKind::Owner => "an owner and no unit",
                ScopeKind::Unit => "a unit and no owner",
            },
        };
        match (kind, owner, unit) {
            (RoleKind::NationalAdmin, None, None) => Ok(Self::NationalAdmin),
            (RoleKind::NationalReader, None, None) => Ok(Self::NationalReader),
            (RoleKind::OwnerAdmin, Some(owner), None) => Ok(Self::OwnerAdmin(owner)),
            (RoleKind::OwnerReader, Some(owner), None) => Ok(Self::OwnerReader(owner)),
            (RoleKind::UnitLeader, None, Some(unit)) => Ok(Self::UnitLeader(unit)),
            (RoleKind::UnitStaff, None, Some(unit)) => Ok(Self::UnitStaff(unit)),
            _ => Err(invalid()),
        }
    }

    pub fn kind(self) -> RoleKind {
        match self {
            Self::NationalAdmin => RoleKind::NationalAdmin,
            Self::NationalReader => RoleKind::NationalReader,
            Self::OwnerAdmin(_) => RoleKind::OwnerAdmin,
            Self::OwnerReader(_) => RoleKind::OwnerReader,
            Self::UnitLeader(_) => RoleKind::UnitLeader,
            Self::UnitStaff(_) => RoleKind::UnitStaff,
        }
    }

    pub fn owner(self) -> Option<OwnerId> {
        match self {
            Self::OwnerAdmin(owner) | Self::OwnerReader(owner) => Some(owner),
            _ => None,
        }
    }

    pub fn unit(self) -> Option<UnitId> {
        match self {
            Self::UnitLeader(unit) | Self::UnitStaff(unit) => Some(unit),
            _ => None,
        }
    }
}

/// The roles a caller holds. Anonymous callers hold none: they read public data only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub roles: Vec<Role>,
}

/// Which restricted (non-public) values a caller may read. Built from [`Grants`] only, so the
/// store can apply it in SQL; the default reads nothing restricted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RestrictedScope {
    /// Owners whose units' and own restricted values may be read in full.
    pub owners: Vec<OwnerId>,
    /// Units whose restricted values may be read.
    pub units: Vec<UnitId>,
    /// Owner-level and national aggregates of restricted sources may be read for every owner
    /// (national readers), never the unit-level values behind them.
    pub all_aggregates: bool,
}

/// How a caller may use one stored value: the rule every read of values follows, in SQL for lists
/// (see `store::ScopedReader`) and here for everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueAccess {
    /// The caller may see the value itself.
    Read,
    /// The value may enter aggregates the caller may read (a national reader's owner and national
    /// figures of local surveys), but is never shown on its own.
    AggregateOnly,
    /// The value is not for this caller in any form.
    Denied,
}

impl RestrictedScope {
    /// What the caller may do with a value of a source that is `restricted` (or public), about
    /// `subject`; `unit_owner` is the owner of the unit for unit values.
    pub fn value_access(
        &self,
        restricted: bool,
        subject: &Subject,
        unit_owner: Option<OwnerId>,
    ) -> ValueAccess {
        if !restricted {
            return ValueAccess::Read;
        }
        match subject {
            Subject::Unit(unit) => {
                if unit_owner.is_some_and(|owner| self.may_read_unit(*unit, owner)) {
                    ValueAccess::Read
                } else if self.all_aggregates {
                    ValueAccess::AggregateOnly
                } else {
                    ValueAccess::Denied
                }
            }
            Subject::Owner(owner) if self.may_read_aggregate(Some(*owner)) => ValueAccess::Read,
            Subject::County(_) | Subject::Nation if self.may_read_aggregate(None) => {
                ValueAccess::Read
            }
            Subject::Owner(_) | Subject::County(_) | Subject::Nation => ValueAccess::Denied,
        }
    }

    /// Whether a unit's own restricted values may be read: the unit or its owner is in scope.
    pub fn may_read_unit(&self, unit: UnitId, owner: OwnerId) -> bool {
        self.units.contains(&unit) || self.owners.contains(&owner)
    }

    /// Whether an owner's (`Some`) or the nation's (`None`) aggregate of restricted values may be
    /// read: national roles read every one; owner roles read their own owner's. Anonymous callers
    /// read none.
    pub fn may_read_aggregate(&self, owner: Option<OwnerId>) -> bool {
        self.all_aggregates || owner.is_some_and(|owner| self.owners.contains(&owner))
    }

    /// Whether an aggregate of restricted values over a chosen set of units (an utvalg, a list of
    /// organisasjonsnummer) may be read: only when every member may be read on its own. Two such
    /// sets that differ in one unit would otherwise give that unit's value away, so national
    /// roles get restricted data over owners and the nation only.
    pub fn may_read_members(&self, mut members: impl Iterator<Item = (UnitId, OwnerId)>) -> bool {
        members.all(|(unit, owner)| self.may_read_unit(unit, owner))
    }
}

impl Grants {
    pub fn restricted_scope(&self) -> RestrictedScope {
        let mut scope = RestrictedScope::default();
        for role in &self.roles {
            match *role {
                Role::NationalAdmin | Role::NationalReader => scope.all_aggregates = true,
                Role::OwnerAdmin(owner) | Role::OwnerReader(owner) => scope.owners.push(owner),
                Role::UnitLeader(unit) | Role::UnitStaff(unit) => scope.units.push(unit),
            }
        }
        scope.owners.sort();
        scope.owners.dedup();
        scope.units.sort();
        scope.units.dedup();
        scope
    }

    /// Whether these grants may write a unit's egenvurdering (agreed level and reflections): its
    /// unit leaders only.
    pub fn may_assess(&self, unit: UnitId) -> bool {
        self.roles.contains(&Role::UnitLeader(unit))
    }

    /// Whether these grants may cast their own vote on a unit's egenvurdering: the unit's staff
    /// and leaders.
    pub fn may_vote(&self, unit: UnitId) -> bool {
        self.roles
            .iter()
            .any(|role| *role == Role::UnitStaff(unit) || *role == Role::UnitLeader(unit))
    }

    /// Whether these grants may create, edit, publish or retire a quality framework owned by
    /// `owner` (`None`: a national one): national admins for national frameworks, owner admins for
    /// their own owner's.
    pub fn may_edit_framework(&self, owner: Option<OwnerId>) -> bool {
        self.roles.iter().any(|role| match (*role, owner) {
            (Role::NationalAdmin, None) => true,
            (Role::OwnerAdmin(admin), Some(owner)) => admin == owner,
            _ => false,
        })
    }

    /// Whether these grants may create, edit, move on and evaluate a tiltak (initiative) of
    /// `subject`, whose owner (the unit's, for a unit's initiative) is `owner`: the unit's leaders
    /// for a unit's, and the owner's admins for the owner's own and every one of its units'.
    pub fn may_plan_initiative(&self, subject: InitiativeSubject, owner: OwnerId) -> bool {
        self.roles.iter().any(|role| match (*role, subject) {
            (Role::UnitLeader(leader), InitiativeSubject::Unit(unit)) => leader == unit,
            (Role::OwnerAdmin(admin), _) => admin == owner,
            _ => false,
        })
    }

    /// Whether these grants may read the change history of an initiative of `owner` (the unit's
    /// owner, for a unit's initiative): the owner's admins only.
    pub fn may_read_initiative_history(&self, owner: OwnerId) -> bool {
        self.roles.contains(&Role::OwnerAdmin(owner))
    }

    /// Whether the caller may read the import log (who imported which file, when): national
    /// admins, who run imports.
    pub fn may_read_import_log(&self) -> bool {
        self.roles.contains(&Role::NationalAdmin)
    }

    /// Whether the caller may run imports (over HTTP), read import jobs and edit import rules:
    /// national admins.
    pub fn may_import(&self) -> bool {
        self.roles.contains(&Role::NationalAdmin)
    }

    /// Whether the caller may read the audit log of `owner` (`None`: every row): national admins
    /// any, an owner's admins their own owner's.
    pub fn may_read_audit_log(&self, owner: Option<OwnerId>) -> bool {
        self.roles.iter().any(|role| match (*role, owner) {
            (Role::NationalAdmin, _) => true,
            (Role::OwnerAdmin(admin), Some(owner)) => admin == owner,
            _ => false,
        })
    }

    /// Whether these grants may give or take away `role`. `unit_owner` is the owner of the role's
    /// unit, for unit roles. National admins grant anything; owner admins grant owner readers and
    /// unit roles inside their owner; unit leaders grant unit staff of their unit. Nobody else.
    pub fn may_grant(&self, role: Role, unit_owner: Option<OwnerId>) -> bool {
        self.roles.iter().any(|held| match (*held, role) {
            (Role::NationalAdmin, _) => true,
            (Role::OwnerAdmin(owner), Role::OwnerReader(target)) => owner == target,
            (Role::OwnerAdmin(owner), Role::UnitLeader(_) | Role::UnitStaff(_)) => {
                unit_owner == Some(owner)
            }
            (Role::UnitLeader(unit), Role::UnitStaff(target)) => unit == target,
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_national_admins_read_the_import_log() {
        let grants = |roles| Grants { roles };
        assert!(grants(vec![Role::NationalAdmin]).may_read_import_log());
        assert!(!grants(vec![Role::NationalReader]).may_read_import_log());
        assert!(!Grants::default().may_read_import_log());
    }

    const A: OwnerId = OwnerId(1);
    const B: OwnerId = OwnerId(2);

    #[test]
    fn anonymous_callers_read_nothing_restricted_and_grant_nothing() {
        let anonymous = Grants::default();
        assert_eq!(anonymous.restricted_scope(), RestrictedScope::default());
        assert!(!anonymous.may_grant(Role::OwnerReader(A), None));
    }

    #[test]
    fn an_owner_admin_grants_only_inside_the_owner() {
        let admin = Grants {
            roles: vec![Role::OwnerAdmin(A)],
        };
        assert!(admin.may_grant(Role::OwnerReader(A), None));
        assert!(admin.may_grant(Role::UnitStaff(UnitId(7)), Some(A)));
        assert!(!admin.may_grant(Role::OwnerReader(B), None));
        assert!(!admin.may_grant(Role::UnitLeader(UnitId(8)), Some(B)));
        assert!(
            !admin.may_grant(Role::OwnerAdmin(A), None),
            "owner admins come from national admins"
        );
        assert!(!admin.may_grant(Role::NationalReader, None));
    }

    #[test]
    fn a_national_admin_grants_owner_admins() {
        let national = Grants {
            roles: vec![Role::NationalAdmin],
        };
        assert!(national.may_grant(Role::OwnerAdmin(B), None));
    }

    #[test]
    fn national_readers_get_aggregates_but_no_units() {
        let reader = Grants {
            roles: vec![Role::NationalReader],
        };
        let scope = reader.restricted_scope();
        assert!(scope.all_aggregates);
        assert!(scope.owners.is_empty() && scope.units.is_empty());
    }

    #[test]
    fn restricted_aggregates_follow_the_scope() {
        let anonymous = RestrictedScope::default();
        assert!(!anonymous.may_read_aggregate(Some(A)) && !anonymous.may_read_aggregate(None));
        assert!(!anonymous.may_read_unit(UnitId(1), A));
        let owner = Grants {
            roles: vec![Role::OwnerReader(A)],
        }
        .restricted_scope();
        assert!(owner.may_read_aggregate(Some(A)) && owner.may_read_unit(UnitId(1), A));
        assert!(!owner.may_read_aggregate(Some(B)) && !owner.may_read_aggregate(None));
        let national = Grants {
            roles: vec![Role::NationalReader],
        }
        .restricted_scope();
        assert!(national.may_read_aggregate(None) && national.may_read_aggregate(Some(B)));
        assert!(!national.may_read_unit(UnitId(1), B));
    }

    #[test]
    fn chosen_sets_of_units_need_every_member_readable() {
        let (own, foreign) = ((UnitId(1), A), (UnitId(2), B));
        let owner = Grants {
            roles: vec![Role::OwnerReader(A)],
        }
        .restricted_scope();
        assert!(owner.may_read_members([own].into_iter()));
        assert!(!owner.may_read_members([own, foreign].into_iter()));
        let unit = Grants {
            roles: vec![Role::UnitStaff(UnitId(2))],
        }
        .restricted_scope();
        assert!(unit.may_read_members([foreign].into_iter()));
        assert!(!unit.may_read_members([own, foreign].into_iter()));
        let national = Grants {
            roles: vec![Role::NationalReader],
        }
        .restricted_scope();
        assert!(!national.may_read_members([own].into_iter()));
    }

    #[test]
    fn restricted_unit_values_are_read_in_scope_and_aggregated_only_nationally() {
        let unit = Subject::Unit(UnitId(1));
        let owner = Grants {
            roles: vec![Role::OwnerReader(A)],
        }
        .restricted_scope();
        assert_eq!(owner.value_access(true, &unit, Some(A)), ValueAccess::Read);
        assert_eq!(
            owner.value_access(true, &unit, Some(B)),
            ValueAccess::Denied
        );
        assert_eq!(
            owner.value_access(true, &Subject::Nation, None),
            ValueAccess::Denied
        );
        let national = Grants {
            roles: vec![Role::NationalReader],
        }
        .restricted_scope();
        assert_eq!(
            national.value_access(true, &unit, Some(A)),
            ValueAccess::AggregateOnly
        );
        assert_eq!(
            national.value_access(true, &Subject::Owner(B), None),
            ValueAccess::Read
        );
        let anonymous = RestrictedScope::default();
        assert_eq!(
            anonymous.value_access(true, &Subject::Owner(A), None),
            ValueAccess::Denied
        );
        assert_eq!(
            anonymous.value_access(false, &unit, Some(A)),
            ValueAccess::Read
        );
    }

    #[test]
    fn assessments_are_written_by_unit_leaders_and_voted_on_by_the_units_staff() {
        let (unit, other) = (UnitId(1), UnitId(2));
        let leader = Grants {
            roles: vec![Role::UnitLeader(unit)],
        };
        let staff = Grants {
            roles: vec![Role::UnitStaff(unit)],
        };
        let owner = Grants {
            roles: vec![Role::OwnerAdmin(A)],
        };
        assert!(leader.may_assess(unit) && leader.may_vote(unit));
        assert!(!staff.may_assess(unit) && staff.may_vote(unit));
        assert!(!leader.may_assess(other) && !staff.may_vote(other));
        assert!(!owner.may_assess(unit) && !owner.may_vote(unit));
    }

    #[test]
    fn frameworks_are_edited_by_national_admins_or_their_owners_admins() {
        let national = Grants {
            roles: vec![Role::NationalAdmin],
        };
        let owner = Grants {
            roles: vec![Role::OwnerAdmin(A)],
        };
        assert!(national.may_edit_framework(None) && !national.may_edit_framework(Some(A)));
        assert!(owner.may_edit_framework(Some(A)) && !owner.may_edit_framework(Some(B)));
        assert!(!owner.may_edit_framework(None));
        assert!(!Grants::default().may_edit_framework(None));
    }

    #[test]
    fn initiatives_are_planned_by_their_units_leaders_and_their_owners_admins() {
        let (unit, other) = (UnitId(1), UnitId(2));
        let leader = Grants {
            roles: vec![Role::UnitLeader(unit)],
        };
        let admin = Grants {
            roles: vec![Role::OwnerAdmin(A)],
        };
        let reader = Grants {
            roles: vec![
                Role::OwnerReader(A),
                Role::UnitStaff(unit),
                Role::NationalAdmin,
            ],
        };
        let of_unit = InitiativeSubject::Unit(unit);
        assert!(leader.may_plan_initiative(of_unit, A));
        assert!(!leader.may_plan_initiative(InitiativeSubject::Unit(other), A));
        assert!(!leader.may_plan_initiative(InitiativeSubject::Owner(A), A));
        assert!(
            admin.may_plan_initiative(of_unit, A)
                && admin.may_plan_initiative(InitiativeSubject::Owner(A), A)
        );
        assert!(!admin.may_plan_initiative(InitiativeSubject::Unit(other), B));
        assert!(!admin.may_plan_initiative(InitiativeSubject::Owner(B), B));
        assert!(!reader.may_plan_initiative(of_unit, A));
        assert!(admin.may_read_initiative_history(A) && !admin.may_read_initiative_history(B));
        assert!(!leader.may_read_initiative_history(A) && !reader.may_read_initiative_history(A));
    }

    #[test]
    fn roles_need_exactly_their_scope() {
        assert!(Role::new(RoleKind::OwnerReader, Some(A), None).is_ok());
        assert!(Role::new(RoleKind::OwnerReader, None, None).is_err());
        assert!(Role::new(RoleKind::NationalReader, Some(A), None).is_err());
        assert!(Role::new(RoleKind::UnitStaff, Some(A), Some(UnitId(1))).is_err());
        assert_eq!(RoleKind::parse("unit_leader"), Ok(RoleKind::UnitLeader));
    }
}
