//! Status machines: a module declares which transitions its statuses allow, and every action goes
//! through [`transition`], so that "this action is impossible in this status" is one refusal
//! (409 `transition_invalide`) with the same shape everywhere.

use super::refusal::{Refusal, TRANSITION_INVALIDE};

/// A status of a resource with a life cycle (a convention, an advisor).
pub trait Lifecycle: Copy + Eq + std::fmt::Debug {
    /// Whether the status `to` may follow `self`.
    fn allows(self, to: Self) -> bool;
    /// The status as stored and sent.
    fn name(self) -> &'static str;
}

/// The status after `action` takes a resource from `from` to `to`, or the 409 refusal saying the
/// current status does not allow it (with `statut_actuel` and `action` as members).
pub fn transition<S: Lifecycle>(from: S, to: S, action: &str) -> Result<S, Refusal> {
    if from.allows(to) {
        Ok(to)
    } else {
        Err(Refusal::new(
            &TRANSITION_INVALIDE,
            format!(
                "Action « {action} » impossible au statut « {} ».",
                from.name()
            ),
        )
        .with_member("statut_actuel", from.name())
        .with_member("action", action))
    }
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

    impl Lifecycle for Door {
        fn allows(self, to: Self) -> bool {
            matches!(
                (self, to),
                (Door::Closed, Door::Open)
                    | (Door::Open, Door::Closed)
                    | (Door::Closed, Door::Sealed)
            )
        }
        fn name(self) -> &'static str {
            match self {
                Door::Closed => "fermee",
                Door::Open => "ouverte",
                Door::Sealed => "scellee",
            }
        }
    }

    #[test]
    fn allowed_transitions_pass_and_others_are_409() {
        assert_eq!(
            transition(Door::Closed, Door::Open, "ouvrir"),
            Ok(Door::Open)
        );
        let refusal = transition(Door::Sealed, Door::Open, "ouvrir").unwrap_err();
        assert_eq!(refusal.kind().status(), 409);
        assert_eq!(refusal.code.code, "transition_invalide");
        assert_eq!(refusal.members["statut_actuel"], "scellee");
        assert_eq!(refusal.members["action"], "ouvrir");
    }
}
