//! Bodies and parameters of `/api/v1/journal`.

/// An entry of the journal as shown is the entry as read: its French docs are the spec's.
pub use crate::domain::journal::EntreeJournal;

crate::page_dto! {
    /// Une page du journal, les entrées les plus récentes d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    JournalPage, EntreeJournal, "Les entrées de cette page.",
}

/// The query parameters of the list (declared once, with what its repo function reads).
pub use crate::domain::filter::JournalFilter;
