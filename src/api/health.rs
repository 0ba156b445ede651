//! Health check bodies.

use serde::Serialize;
use utoipa::ToSchema;

/// The service answers.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Live {
    /// Always `ok`.
    pub status: &'static str,
}

/// The service can serve requests: database reachable, migrations applied, référentiel loaded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "base": "postgres"}))]
pub struct Ready {
    /// Always `ok`.
    pub status: &'static str,
    /// The database backend in use.
    pub base: Backend,
}

/// A database backend.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite (the embedded default).
    Sqlite,
}
