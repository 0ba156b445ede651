//! Refusals: what the domain (and the storage's constraints) answer when a request cannot be
//! done. A refusal carries its HTTP kind (403, 409, 412, 422 or 428), a stable `code`, a French
//! `detail`, its field errors and any extra members (e.g. the posts and active counts of a
//! `quota_atteint`). The API turns every refusal into a problem with one generic conversion.
//!
//! Each code is declared once, as a [`RefusalCode`] constant next to its rule;
//! `domain::catalogue::CATALOGUE` lists them all (this module imports none of the modules that
//! use it), and the OpenAPI document builds the examples of its shared 403/409/412/422/428
//! responses from that list.

use serde::Serialize;
use utoipa::ToSchema;

/// The HTTP kind of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefusalKind {
    /// 403: the caller sees the object but its role may not do this.
    Forbidden,
    /// 409: the current state of the data forbids it (status, uniqueness, a request in flight).
    Conflict,
    /// 412: the `If-Match` precondition does not hold (the object changed since it was read).
    PreconditionFailed,
    /// 422: well-formed input that breaks a rule.
    Unprocessable,
    /// 428: the request must be conditional (`If-Match`).
    PreconditionRequired,
}

impl RefusalKind {
    /// Every kind, by status.
    pub const ALL: [RefusalKind; 5] = [
        RefusalKind::Forbidden,
        RefusalKind::Conflict,
        RefusalKind::PreconditionFailed,
        RefusalKind::Unprocessable,
        RefusalKind::PreconditionRequired,
    ];

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            RefusalKind::Forbidden => 403,
            RefusalKind::Conflict => 409,
            RefusalKind::PreconditionFailed => 412,
            RefusalKind::Unprocessable => 422,
            RefusalKind::PreconditionRequired => 428,
        }
    }
}

/// A kind of refusal, declared once: its HTTP kind, stable code, title and an example detail (the
/// spec's examples are built from it).
#[derive(Debug, PartialEq, Eq)]
pub struct RefusalCode {
    /// The HTTP kind.
    pub kind: RefusalKind,
    /// The stable, machine-readable code (snake_case).
    pub code: &'static str,
    /// The short title of the problem (French).
    pub title: &'static str,
    /// A typical detail, for the documentation (French).
    pub example: &'static str,
}

/// Une entrée fautive : un paramètre de requête ou de chemin, ou un champ du corps JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Pour un champ du corps : son pointeur JSON (RFC 6901), par exemple `/postes_attribues`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Pour un paramètre de requête ou de chemin : son nom, par exemple `limit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Ce qui ne va pas.
    pub detail: String,
}

impl FieldError {
    /// An error on a query or path parameter.
    pub fn parameter(name: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            pointer: None,
            parameter: Some(name.into()),
            detail: detail.into(),
        }
    }

    /// An error on a body field, located by a JSON Pointer (`/postes_attribues`).
    pub fn pointer(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            pointer: Some(pointer.into()),
            parameter: None,
            detail: detail.into(),
        }
    }
}

/// A refusal of the domain or of the storage's constraints.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// Which refusal.
    pub code: &'static RefusalCode,
    /// What went wrong in this occurrence (French).
    pub detail: String,
    /// The faulty fields, if any.
    pub errors: Vec<FieldError>,
    /// Extra members of the problem (e.g. `{"postes": 3, "actifs": 3}`).
    pub members: serde_json::Map<String, serde_json::Value>,
}

#[cfg(test)]
impl Refusal {
    /// Its code and the pointer of its first faulty field: what a unit test checks.
    pub fn code_at(&self) -> (&str, Option<&str>) {
        let first = self
            .errors
            .first()
            .and_then(|error| error.pointer.as_deref());
        (self.code.code, first)
    }
}

impl Refusal {
    /// One 422 `validation` naming every faulty field, in the given order: `« intro —
    /// /pointer : detail ; … »`, each field also in `errors`.
    pub fn invalid_fields(intro: &str, errors: Vec<FieldError>) -> Refusal {
        let listed: Vec<String> = errors
            .iter()
            .map(|f| format!("{} : {}", f.pointer.as_deref().unwrap_or(""), f.detail))
            .collect();
        let mut refusal = Refusal::new(&VALIDATION, format!("{intro} — {}.", listed.join(" ; ")));
        for error in errors {
            refusal = refusal.with_error(error);
        }
        refusal
    }

    /// A refusal of `code` with this detail.
    pub fn new(code: &'static RefusalCode, detail: impl Into<String>) -> Self {
        Refusal {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            members: serde_json::Map::new(),
        }
    }

    /// Adds a field error.
    pub fn with_error(mut self, error: FieldError) -> Self {
        self.errors.push(error);
        self
    }

    /// Adds an extra member to the problem.
    pub fn with_member(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.members.insert(name.to_owned(), value.into());
        self
    }

    /// The HTTP kind.
    pub fn kind(&self) -> RefusalKind {
        self.code.kind
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} : {}", self.code.code, self.detail)
    }
}

impl std::error::Error for Refusal {}

/// 403: the role may not do this on a visible object.
pub const INTERDIT: RefusalCode = RefusalCode {
    kind: RefusalKind::Forbidden,
    code: "interdit",
    title: "Action interdite",
    example: "Le rôle lecteur ne permet pas cette action.",
};

/// 422: a well-formed body whose values break the rules; `errors` names each field.
pub const VALIDATION: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "validation",
    title: "Données invalides",
    example: "Les données envoyées ne respectent pas les règles : voir errors.",
};

/// 409: the object would duplicate an existing one (a unique key of the database).
pub const DEJA_EXISTANT: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "deja_existant",
    title: "Déjà existant",
    example: "Un objet avec la même clé existe déjà.",
};

/// 422: the request names an object that does not exist (a foreign key of the database).
pub const REFERENCE_INVALIDE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "reference_invalide",
    title: "Référence invalide",
    example: "La requête désigne un objet qui n'existe pas.",
};

/// 422: a value the database's constraints refuse (a `CHECK` or `NOT NULL`).
pub const CONTRAINTE_NON_RESPECTEE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "contrainte_non_respectee",
    title: "Contrainte non respectée",
    example: "Une valeur enfreint une contrainte des données.",
};

/// 409: the current status does not allow this action.
pub const TRANSITION_INVALIDE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "transition_invalide",
    title: "Transition invalide",
    example: "Action « signature » impossible au statut « signee ».",
};

/// 422: an `Idempotency-Key` already used by this caller for another request.
pub const CLE_IDEMPOTENCE_REUTILISEE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "cle_idempotence_reutilisee",
    title: "Clé d'idempotence réutilisée",
    example: "Cette clé d'idempotence a déjà servi pour une autre requête ; en choisir une nouvelle.",
};

/// 409: the first request with this `Idempotency-Key` is still being processed.
pub const REQUETE_EN_COURS: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "requete_en_cours",
    title: "Requête en cours",
    example: "Une requête avec cette clé d'idempotence est en cours de traitement ; réessayer dans un instant.",
};

/// 412: the object changed since the `ETag` given in `If-Match` was read.
pub const PRECONDITION_ECHOUEE: RefusalCode = RefusalCode {
    kind: RefusalKind::PreconditionFailed,
    code: "precondition_echouee",
    title: "Précondition non remplie",
    example: "L'objet a changé depuis sa lecture (ETag \"3\" attendu) : le relire puis réessayer.",
};

/// 428: a change that must say which version it modifies (`If-Match`).
pub const PRECONDITION_REQUISE: RefusalCode = RefusalCode {
    kind: RefusalKind::PreconditionRequired,
    code: "precondition_requise",
    title: "Précondition requise",
    example: "En-tête If-Match obligatoire : y mettre l'ETag de la dernière lecture.",
};

/// 400 (query, path, header) or 422 (body): a text input holds a character the API refuses: a
/// control character (U+0000–U+001F, U+007F; PostgreSQL's text cannot even store U+0000), except
/// TAB, LF and CR in the free-text members of a body ([`MULTILINE_MEMBERS`]).
pub const CARACTERE_INTERDIT: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "caractere_interdit",
    title: "Caractère interdit",
    example: "Caractère interdit (U+0000) en /nom : les caractères de contrôle sont refusés.",
};

/// The members of a JSON body that hold free text over several lines (a reason, an object, a
/// comment):
/// TAB, LF and CR are accepted there, and refused in every other text (names, addresses, codes,
/// parameters, headers).
pub const MULTILINE_MEMBERS: &[&str] = &["motif", "objet", "commentaire"];

/// The first character of `text` the API refuses in an input, if any: a control character
/// (U+0000–U+001F, U+007F), TAB, LF and CR excepted when `multiline`.
pub fn forbidden_character(text: &str, multiline: bool) -> Option<char> {
    text.chars()
        .find(|&c| (c.is_ascii_control()) && !(multiline && matches!(c, '\t' | '\n' | '\r')))
}

/// What an input holding `c` is told (French).
pub fn forbidden_character_detail(c: char) -> String {
    format!(
        "caractère interdit U+{:04X} : les caractères de contrôle sont refusés (TAB, LF et CR ne sont acceptés que dans un texte libre sur plusieurs lignes : {})",
        u32::from(c),
        MULTILINE_MEMBERS.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_carries_its_fields_and_members() {
        let refusal = Refusal::new(&VALIDATION, "Données invalides.")
            .with_error(FieldError::pointer("/postes_attribues", "au moins 1"))
            .with_member("postes", 3);
        assert_eq!(refusal.kind().status(), 422);
        assert_eq!(refusal.errors.len(), 1);
        assert_eq!(refusal.members["postes"], 3);
    }

    #[test]
    fn control_characters_are_forbidden_except_line_breaks_in_free_text() {
        for text in ["a\0b", "\u{1}", "a\u{1f}", "\u{7f}", "x\u{1b}[31m"] {
            assert!(forbidden_character(text, false).is_some(), "{text:?}");
            assert!(forbidden_character(text, true).is_some(), "{text:?}");
        }
        for text in ["a\tb", "a\nb", "a\r\nb"] {
            assert!(forbidden_character(text, false).is_some(), "{text:?}");
            assert_eq!(forbidden_character(text, true), None, "{text:?}");
        }
        for text in ["", "Épinay-sur-Seine", "=SUM(1)", "\u{80}\u{a0}€", "😀"] {
            assert_eq!(forbidden_character(text, false), None, "{text:?}");
        }
        assert_eq!(forbidden_character("ab\0", false), Some('\0'));
        assert!(forbidden_character_detail('\0').contains("U+0000"));
    }
}
