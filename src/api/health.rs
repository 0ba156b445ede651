//! Health check bodies.

use serde::Serialize;
use utoipa::ToSchema;

/// Le service répond.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Live {
    /// Toujours `ok`.
    pub status: &'static str,
}

/// Le service peut servir : base de données joignable, migrations appliquées, référentiel chargé.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "base": "postgres"}))]
pub struct Ready {
    /// Toujours `ok`.
    pub status: &'static str,
    /// Le moteur de base de données utilisé.
    pub base: Backend,
}

/// Un moteur de base de données.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite (la base embarquée par défaut).
    Sqlite,
}
