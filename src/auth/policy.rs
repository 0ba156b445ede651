//! The access policy, in one place: "may this caller do X on this object?" ([`role_allows`] is
//! the role × resource table; each operation's description in the spec says it in words).
//!
//! Handlers describe the object (its [`Perimeter`]: département, structures) and call [`check`];
//! they never compare roles themselves. The order of refusals: no valid token → 401, object
//! outside the caller's scope → 404 (no existence leak), action the role may not do on a visible
//! object → 403. Lists apply the same scope in SQL through [`Caller::scope_filter`].
//!
//! The policy answers with its own [`Denied`]; the API turns it into a problem.

use super::{Caller, Role, Scope};
use crate::domain::activite::Activite;
use crate::domain::codes::CodeDepartement;
use crate::domain::conseiller::Conseiller;
use crate::domain::contrat::Contrat;
use crate::domain::convention::Convention;
use crate::domain::ids::StructureId;
use crate::domain::lieu::Lieu;
use crate::domain::poste::Poste;
use crate::domain::scope::ScopeFilter;
use crate::domain::structure::Structure;

/// The kinds of objects the policy knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Référentiel, statistics, open-data exports: public reads.
    Referentiel,
    /// The caller's own token (`/moi`).
    Moi,
    /// Host structures.
    Structure,
    /// Conventions, their avenants and posts.
    Convention,
    /// The hosting project of a convention (filed by a structure).
    ProjetAccueil,
    /// The journal of changes.
    Journal,
    /// Funding envelopes and their ceilings.
    Enveloppe,
    /// Commitments of money.
    Engagement,
    /// Payments.
    Versement,
    /// Places of activity (public reads).
    Lieu,
    /// Advisors.
    Conseiller,
    /// Activities of advisors.
    Activite,
    /// Posts attributed to hosts (each an object: vacant, occupied, returned).
    Poste,
    /// Advisors' contracts (employments on posts).
    Contrat,
}

/// What the caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read one object or a list.
    Read,
    /// Create an object.
    Create,
    /// Change an object (PATCH).
    Edit,
    /// Run a status action or a money movement on it.
    Act,
    /// Delete or annul it.
    Delete,
}

/// Where an object belongs, for scope checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Perimeter<'a> {
    /// Its département, for territorial scopes.
    pub departement: Option<&'a str>,
    /// The structures that own it (signatory, host, employer), for structure scopes.
    pub structures: &'a [&'a str],
}

impl<'a> Perimeter<'a> {
    /// An object of no territory (an envelope, the caller's own token): every caller sees it.
    pub const NATIONAL: Perimeter<'static> = Perimeter {
        departement: None,
        structures: &[],
    };

    /// An object of a département (or of none), owned by no structure: a convention or a
    /// structure about to be created.
    pub fn of_departement(departement: Option<&'a CodeDepartement>) -> Perimeter<'a> {
        Perimeter {
            departement: departement.map(CodeDepartement::as_str),
            structures: &[],
        }
    }

    fn is_national(&self) -> bool {
        self.departement.is_none() && self.structures.is_empty()
    }
}

impl Resource {
    /// Whether objects of this kind have no territory (every reader sees all of them).
    pub fn is_national(self) -> bool {
        matches!(
            self,
            Resource::Referentiel | Resource::Moi | Resource::Enveloppe
        )
    }
}

/// Why the policy refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No valid token, on something that is not public (401).
    Unauthenticated,
    /// The object is outside the caller's scope (404: its existence is not revealed).
    OutOfScope,
    /// The caller sees the object but its role may not do this (403).
    Forbidden(Role),
}

/// Whether the caller's scope covers the object.
pub fn in_scope(caller: &Caller, perimeter: &Perimeter<'_>) -> bool {
    if perimeter.is_national() {
        return true;
    }
    match &caller.scope {
        Scope::National => true,
        Scope::Departements(codes) => perimeter
            .departement
            .is_some_and(|code| codes.iter().any(|c| c.as_str() == code)),
        Scope::Structure(id) => perimeter.structures.contains(&id.as_str()),
    }
}

/// Whether a role may do an action on a kind of object it can see.
pub fn role_allows(role: Role, resource: Resource, action: Action) -> bool {
    use Action::*;
    use Resource as R;
    if role == Role::Admin {
        return true;
    }
    match resource {
        R::Referentiel | R::Lieu if action == Read => true,
        R::Referentiel => false,
        R::Moi | R::Enveloppe | R::Versement => action == Read,
        // `Act` on a structure: classing it in a priority territory (the State's decision).
        R::Structure => match role {
            Role::Structure => matches!(action, Read | Edit),
            Role::Prefecture => matches!(action, Read | Create | Edit | Act),
            _ => action == Read,
        },
        R::Convention => match role {
            Role::Prefecture => true,
            _ => action == Read,
        },
        R::ProjetAccueil => match role {
            Role::Lecteur => action == Read,
            _ => matches!(action, Read | Create | Act),
        },
        R::Journal => role == Role::Prefecture && action == Read,
        R::Engagement => match role {
            Role::Prefecture => matches!(action, Read | Create | Delete),
            _ => action == Read,
        },
        R::Lieu => {
            matches!(role, Role::Structure | Role::Prefecture) && matches!(action, Create | Edit)
        }
        R::Conseiller => match role {
            Role::Structure => matches!(action, Read | Create | Act | Edit),
            Role::Prefecture => matches!(action, Read | Create | Act),
            _ => false,
        },
        R::Activite => match role {
            Role::Structure => matches!(action, Read | Create | Delete),
            Role::Prefecture => action == Read,
            _ => false,
        },
        R::Poste => match role {
            Role::Prefecture => matches!(action, Read | Act),
            _ => action == Read,
        },
        R::Contrat => match role {
            Role::Structure | Role::Prefecture => matches!(action, Read | Create | Act),
            _ => false,
        },
    }
}

/// Whether the resource may be read without a token.
pub fn is_public(resource: Resource, action: Action) -> bool {
    matches!(resource, Resource::Referentiel | Resource::Lieu) && action == Action::Read
}

/// May `caller` do `action` on an object of `resource` within `perimeter`? [`Denied`] when not.
pub fn check(
    caller: Option<&Caller>,
    resource: Resource,
    action: Action,
    perimeter: &Perimeter<'_>,
) -> Result<(), Denied> {
    if is_public(resource, action) {
        return Ok(());
    }
    let caller = caller.ok_or(Denied::Unauthenticated)?;
    if !in_scope(caller, perimeter) {
        return Err(Denied::OutOfScope);
    }
    if !role_allows(caller.role, resource, action) {
        return Err(Denied::Forbidden(caller.role));
    }
    Ok(())
}

/// May `caller`, who sees the object, do `action` on it? Like [`check`], except that an action
/// outside the caller's scope is a 403: nothing is hidden from a caller who sees the object (a
/// host that does not sign a convention, a public lieu).
pub fn check_visible(
    caller: &Caller,
    resource: Resource,
    action: Action,
    perimeter: &Perimeter<'_>,
) -> Result<(), Denied> {
    match check(Some(caller), resource, action, perimeter) {
        Err(Denied::OutOfScope) => Err(Denied::Forbidden(caller.role)),
        other => other,
    }
}

/// Whether `caller` sees an object of `resource` (404 otherwise), then may do `action` on it (403
/// otherwise): the order of refusals of every action on a stored object.
pub fn check_seen(
    caller: &Caller,
    resource: Resource,
    action: Action,
    perimeter: &Perimeter<'_>,
) -> Result<(), Denied> {
    check(Some(caller), resource, Action::Read, perimeter)?;
    check_visible(caller, resource, action, perimeter)
}

/// May `caller` create an object of `resource` within `perimeter`? The role is checked first
/// (403), then the scope: creating outside one's scope is also a 403, since nothing is hidden
/// about an object that does not exist yet.
pub fn check_create(
    caller: &Caller,
    resource: Resource,
    perimeter: &Perimeter<'_>,
) -> Result<(), Denied> {
    if !role_allows(caller.role, resource, Action::Create) || !in_scope(caller, perimeter) {
        return Err(Denied::Forbidden(caller.role));
    }
    Ok(())
}

/// Whether `caller` sees a convention (the conventions' read rule: its département, or a
/// structure that signs it or hosts posts). Also what decides whether a body may name it (a
/// commitment, a recruitment): one the caller does not see is a 404.
pub fn convention_visible(caller: &Caller, convention: &Convention) -> bool {
    check(
        Some(caller),
        Resource::Convention,
        Action::Read,
        &Perimeter {
            departement: Some(convention.departement.as_str()),
            structures: &convention.structures(),
        },
    )
    .is_ok()
}

/// Whether `caller` sees the convention (404 otherwise) and may do `action` on `resource` there
/// (403 otherwise). For the hosting project, only the signatories among structures may act: a
/// host that does not sign sees the convention, so it gets a 403, not a 404.
pub fn check_convention(
    caller: &Caller,
    convention: &Convention,
    resource: Resource,
    action: Action,
) -> Result<(), Denied> {
    let departement = convention.departement.as_str();
    check(
        Some(caller),
        Resource::Convention,
        Action::Read,
        &Perimeter {
            departement: Some(departement),
            structures: &convention.structures(),
        },
    )?;
    if action == Action::Read {
        return Ok(());
    }
    let signataires: Vec<&str> = convention
        .signataires
        .iter()
        .map(|id| id.as_str())
        .collect();
    let acting = Perimeter {
        departement: Some(departement),
        structures: if resource == Resource::ProjetAccueil {
            &signataires
        } else {
            &[]
        },
    };
    check_visible(caller, resource, action, &acting)
}

/// The scope filter of `resource` for a list that some roles may not read at all: 403 for them
/// (before any parameter is judged against their scope), else the caller's scope filter.
pub fn readers_scope(caller: &Caller, resource: Resource) -> Result<ScopeFilter, Denied> {
    if !role_allows(caller.role, resource, Action::Read) {
        return Err(Denied::Forbidden(caller.role));
    }
    Ok(caller.scope_filter(resource))
}

/// An object that lies in one département and belongs to one structure: an advisor (its
/// employer), an activity (its advisor's employer), a lieu (the structure that keeps it), a
/// structure (itself).
pub trait Placed {
    /// Its département and its structure.
    fn place(&self) -> (&CodeDepartement, &StructureId);
}

impl Placed for Conseiller {
    fn place(&self) -> (&CodeDepartement, &StructureId) {
        (&self.departement, &self.structure_id)
    }
}

impl Placed for Contrat {
    fn place(&self) -> (&CodeDepartement, &StructureId) {
        (&self.departement, &self.structure_id)
    }
}

impl Placed for Poste {
    fn place(&self) -> (&CodeDepartement, &StructureId) {
        (&self.departement, &self.structure_id)
    }
}

impl Placed for Activite {
    fn place(&self) -> (&CodeDepartement, &StructureId) {
        (&self.departement, &self.structure_id)
    }
}

impl Placed for Structure {
    fn place(&self) -> (&CodeDepartement, &StructureId) {
        (&self.departement, &self.id)
    }
}

impl Placed for Lieu {
    fn place(&self) -> (&CodeDepartement, &StructureId) {
        (&self.departement, &self.structure_id)
    }
}

/// `check` applied to the perimeter of a placed object (its département, its one structure).
pub fn on_placed<R>(object: &impl Placed, check: impl FnOnce(&Perimeter<'_>) -> R) -> R {
    let (departement, structure) = object.place();
    let structures = [structure.as_str()];
    check(&Perimeter {
        departement: Some(departement.as_str()),
        structures: &structures,
    })
}

/// [`check_seen`] on a placed object: 404 outside the caller's scope, then 403 for the role.
pub fn check_seen_placed(
    caller: &Caller,
    resource: Resource,
    action: Action,
    object: &impl Placed,
) -> Result<(), Denied> {
    on_placed(object, |perimeter| {
        check_seen(caller, resource, action, perimeter)
    })
}

/// [`check_visible`] on a placed object (a public one, such as a lieu): 403 outside the
/// caller's scope.
pub fn check_visible_placed(
    caller: &Caller,
    resource: Resource,
    action: Action,
    object: &impl Placed,
) -> Result<(), Denied> {
    on_placed(object, |perimeter| {
        check_visible(caller, resource, action, perimeter)
    })
}

/// Whether the caller may see an advisor's personal data (name, e-mail): admins and the employer.
pub fn sees_personal_data(caller: &Caller, employer_structure: &str) -> bool {
    match (&caller.role, &caller.scope) {
        (Role::Admin, _) => true,
        (Role::Structure, Scope::Structure(id)) => id.as_str() == employer_structure,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::CodeDepartement;
    use crate::domain::ids::StructureId;

    fn caller(role: Role, scope: Scope) -> Caller {
        Caller {
            sub: "test".into(),
            role,
            scope,
            expires_at: 0,
        }
    }

    fn status(result: Result<(), Denied>) -> u16 {
        match result {
            Ok(()) => 200,
            Err(Denied::Unauthenticated) => 401,
            Err(Denied::OutOfScope) => 404,
            Err(Denied::Forbidden(_)) => 403,
        }
    }

    fn deps(codes: &[&str]) -> Scope {
        Scope::Departements(
            codes
                .iter()
                .map(|c| CodeDepartement::parse(c).unwrap())
                .collect(),
        )
    }

    fn structure(id: &str) -> Scope {
        Scope::Structure(StructureId::parse(id).unwrap())
    }

    const S1: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90";
    const S2: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91";

    #[test]
    fn refusals_come_in_the_designed_order() {
        let in_93 = Perimeter {
            departement: Some("93"),
            structures: &[S1],
        };
        let prefecture_75 = caller(Role::Prefecture, deps(&["75"]));
        let prefecture_93 = caller(Role::Prefecture, deps(&["93"]));
        let lecteur_93 = caller(Role::Lecteur, deps(&["93"]));
        let other_structure = caller(Role::Structure, structure(S2));
        let structure = caller(Role::Structure, structure(S1));
        let admin = caller(Role::Admin, Scope::National);
        let national = Perimeter::NATIONAL;
        use Action::*;
        use Resource::*;
        let cases: &[(Option<&Caller>, Resource, Action, &Perimeter<'_>, u16)] = &[
            // Anonymous: 401 on anything but public reads.
            (None, Convention, Read, &in_93, 401),
            (None, Referentiel, Read, &national, 200),
            // Outside the scope: 404, even for an action the role may not do.
            (Some(&prefecture_75), Convention, Read, &in_93, 404),
            (Some(&other_structure), Conseiller, Read, &in_93, 404),
            // Visible, but not for this role: 403.
            (Some(&lecteur_93), Conseiller, Read, &in_93, 403),
            (Some(&lecteur_93), Journal, Read, &in_93, 403),
            (Some(&prefecture_93), Versement, Create, &in_93, 403),
            (Some(&structure), Convention, Act, &in_93, 403),
            // Allowed.
            (Some(&prefecture_93), Engagement, Create, &in_93, 200),
            (Some(&structure), ProjetAccueil, Create, &in_93, 200),
            (Some(&structure), Conseiller, Act, &in_93, 200),
            (Some(&lecteur_93), Moi, Read, &national, 200),
            // Envelopes: everyone reads, only admins write.
            (Some(&prefecture_93), Enveloppe, Read, &national, 200),
            (Some(&prefecture_93), Enveloppe, Create, &national, 403),
            (Some(&admin), Versement, Create, &in_93, 200),
        ];
        for (index, &(who, resource, action, perimeter, expected)) in cases.iter().enumerate() {
            assert_eq!(
                status(check(who, resource, action, perimeter)),
                expected,
                "case {index}: {resource:?} {action:?}"
            );
        }
    }

    #[test]
    fn personal_data_is_for_admins_and_the_employer() {
        let admin = caller(Role::Admin, Scope::National);
        let employer = caller(Role::Structure, structure(S1));
        let other = caller(Role::Structure, structure(S2));
        let prefecture = caller(Role::Prefecture, deps(&["93"]));
        assert!(sees_personal_data(&admin, S1));
        assert!(sees_personal_data(&employer, S1));
        assert!(!sees_personal_data(&other, S1));
        assert!(!sees_personal_data(&prefecture, S1));
    }

    #[test]
    fn scope_filters_follow_the_scope_and_the_role() {
        use crate::domain::scope::ScopeFilter;
        let prefecture = caller(Role::Prefecture, deps(&["93"]));
        assert_eq!(
            prefecture.scope_filter(Resource::Convention),
            ScopeFilter::Departements(vec![CodeDepartement::parse("93").unwrap()])
        );
        // Envelopes have no territory: a préfecture reads them all.
        assert_eq!(
            prefecture.scope_filter(Resource::Enveloppe),
            ScopeFilter::All
        );
        let employer = caller(Role::Structure, structure(S1));
        assert_eq!(
            employer.scope_filter(Resource::Conseiller),
            ScopeFilter::Structure(StructureId::parse(S1).unwrap())
        );
        // A lecteur may not read advisors at all, whatever its scope.
        let lecteur = caller(Role::Lecteur, Scope::National);
        assert_eq!(
            lecteur.scope_filter(Resource::Conseiller),
            ScopeFilter::Nothing
        );
        assert_eq!(lecteur.scope_filter(Resource::Convention), ScopeFilter::All);
        let admin = caller(Role::Admin, Scope::National);
        assert_eq!(admin.scope_filter(Resource::Journal), ScopeFilter::All);
    }
}
