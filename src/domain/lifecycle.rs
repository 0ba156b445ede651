//! Status machines: a module declares, for each of its statuses, what each action leads to, and
//! every action goes through [`apply`], so that "this action is impossible in this status" is one
//! refusal (409 `transition_invalide`, listing the actions the status allows) with the same shape
//! everywhere.

use super::refusal::{Refusal, TRANSITION_INVALIDE};

/// A status of a resource with a life cycle (a convention, an advisor), and the actions on it.
pub trait Lifecycle: Copy + Eq + std::fmt::Debug + 'static {
    /// What can be done to the resource (sign, file a project…), including actions that keep the
    /// status (an amendment).
    type Action: Copy + Eq + std::fmt::Debug + 'static;
    /// Every action, in the order they are listed to clients.
    const ACTIONS: &'static [Self::Action];
    /// The status after `action`, or `None` when the status does not allow it.
    fn after(self, action: Self::Action) -> Option<Self>;
    /// The status as stored and sent.
    fn name(self) -> &'static str;
    /// The action as named to clients.
    fn action_name(action: Self::Action) -> &'static str;
}

/// The actions a status allows, in [`Lifecycle::ACTIONS`] order.
pub fn allowed_actions<S: Lifecycle>(status: S) -> Vec<S::Action> {
    S::ACTIONS
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
            .map(S::action_name)
            .collect();
        Refusal::new(
            &TRANSITION_INVALIDE,
            format!(
                "Action « {} » impossible au statut « {} » ; possibles : {}.",
                S::action_name(action),
                from.name(),
                if possible.is_empty() {
                    "aucune (statut final)".to_owned()
                } else {
                    possible.join(", ")
                }
            ),
        )
        .with_member("statut_actuel", from.name())
        .with_member("action", S::action_name(action))
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

    impl Lifecycle for Door {
        type Action = Push;
        const ACTIONS: &'static [Push] = &[Push::Open, Push::Close, Push::Seal, Push::Paint];
        fn after(self, action: Push) -> Option<Door> {
            match (self, action) {
                (Door::Closed, Push::Open) => Some(Door::Open),
                (Door::Open, Push::Close) => Some(Door::Closed),
                (Door::Closed, Push::Seal) => Some(Door::Sealed),
                (Door::Closed | Door::Open, Push::Paint) => Some(self),
                _ => None,
            }
        }
        fn name(self) -> &'static str {
            match self {
                Door::Closed => "fermee",
                Door::Open => "ouverte",
                Door::Sealed => "scellee",
            }
        }
        fn action_name(action: Push) -> &'static str {
            match action {
                Push::Open => "ouvrir",
                Push::Close => "fermer",
                Push::Seal => "sceller",
                Push::Paint => "peindre",
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
