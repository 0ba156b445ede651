//! Seeds: data written into a database for a demonstration or a measurement, never in
//! production.
//!
//! - [`demo`] (`cnfs-api seed --demo`): the Seine-Saint-Denis story, sent to the application
//!   in-process as a client would, so that every rule, lock and journal entry is the API's own;
//! - [`national`] (`cnfs-api seed --scale national`): a national dataset (every département,
//!   about 4,000 posts, a million activities), generated from the référentiel and written in
//!   bulk, for the benchmarks.

pub mod demo;
pub mod national;
