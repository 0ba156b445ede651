//! The domain: plain types and rules, without HTTP or database (DESIGN.md §3).

pub mod referentiel;
