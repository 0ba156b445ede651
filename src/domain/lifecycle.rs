//! Status machines: a module declares, for each of its statuses, what each action leads to, and
//! every action goes through [`apply`], so that "this action is impossible in this status" is one
//! refusal (409 `transition_invalide`, listing the actions the status allows) with the same shape
//! everywhere.

use super::ClosedList;
use super::refusal::{Refusal, TRANSITION_INVALIDE};

/// A status of a resource with a life cycle (a convention, an advisor), and the actions on it.
/// Both are closed lists (`closed_enum!`): their values and texts are what clients see.
pub trait Lifecycle: ClosedList {
    /// What can be done to the resource (sign, file a project…), including actions that keep the
    /// status (an amendment); listed to clients in declaration order.
    type Action: ClosedList;
    /// The status after `action`, or `None` when the status does not allow it.
    fn after(self, action: Self::Action) -> Option<Self>;
}

/// The actions a status allows, in their declaration order.
pub fn allowed_actions<S: Lifecycle>(status: S) -> Vec<S::Action> {
    S::Action::VALUES
        .iter()
        .copied()
        .filter(|action| status.after(*action).is_some())
        .collect()
}

/// The status after `action`, or the 409 refusal saying the current status does not allow it
/// (members: `statut_actuel`, `action`, and `actions_possibles`, the actions it allows).
pub fn apply<S: Lifecycle>(from: S, action: S::Action) -> Result<S, Refusal> {
    from.after(action).ok_or_else(|| {
        let possible: Vec<&str> = allowed_actions(from)
            .into_iter()
            .map(ClosedList::as_text)
            .collect();
        Refusal::new(
            &TRANSITION_INVALIDE,
            format!(
                "Action « {} » impossible au statut « {} » ; possibles : {}.",
                action.as_text(),
                from.as_text(),
                if possible.is_empty() {
                    "aucune (statut final)".to_owned()
                } else {
                    possible.join(", ")
                }
            ),
        )
        .with_member("statut_actuel", from.as_text())
        .with_member("action", action.as_text())
        .with_member("actions_possibles", possible)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Door {
        Closed,
        Open,
        Sealed,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Push {
        Open,
        Close,
        Seal,
        Paint,
    }

    impl ClosedList for Door {
        const VALUES: &'static [Door] = &[Door::Closed, Door::Open, Door::Sealed];
        fn as_text(self) -> &'static str {
            ["fermee", "ouverte", "scellee"][self as usize]
        }
    }

    impl ClosedList for Push {
        const VALUES: &'static [Push] = &[Push::Open, Push::Close, Push::Seal, Push::Paint];
        fn as_text(self) -> &'static str {
            ["ouvrir", "fermer", "sceller", "peindre"][self as usize]
        }
    }

    impl Lifecycle for Door {
        type Action = Push;
        fn after(self, action: Push) -> Option<Door> {
            match (self, action) {
                (Door::Closed, Push::Open) => Some(Door::Open),
                (Door::Open, Push::Close) => Some(Door::Closed),
                (Door::Closed, Push::Seal) => Some(Door::Sealed),
                (Door::Closed | Door::Open, Push::Paint) => Some(self),
                _ => None,
            }
        }
    }

    #[test]
    fn allowed_actions_pass_and_others_are_409_listing_the_possible_ones() {
        assert_eq!(apply(Door::Closed, Push::Open), Ok(Door::Open));
        assert_eq!(apply(Door::Open, Push::Paint), Ok(Door::Open));
        let refusal = apply(Door::Open, Push::Seal).unwrap_err();
        assert_eq!(refusal.kind().status(), 409);
        assert_eq!(refusal.code.code, "transition_invalide");
        assert_eq!(refusal.members["statut_actuel"], "ouverte");
        assert_eq!(refusal.members["action"], "sceller");
        assert_eq!(
            refusal.members["actions_possibles"],
            serde_json::json!(["fermer", "peindre"])
        );
        let refusal = apply(Door::Sealed, Push::Open).unwrap_err();
        assert_eq!(refusal.members["actions_possibles"], serde_json::json!([]));
        assert!(refusal.detail.contains("statut final"));
    }
}
