//! Rebuild when a migration is added: `embed_migrations!` reads the migration folders at compile
//! time, but Cargo only tracks the files it already knows, not a new folder.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
