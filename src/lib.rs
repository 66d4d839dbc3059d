//! marsad (مرصد, "observatory") watches the news about security in Libya, in
//! Arabic, English and French, and republishes it as one clean Atom feed.
//!
//! The data flows one way through modules named after the steps:
//!
//! ```text
//! config -> fetch -> parse -> [process seam: extract, dedup, curate] -> store -> publish
//!                 pipeline: one pass over a source;  daemon: schedules passes, serves HTTP
//! ```
//!
//! `text` holds the text helpers shared by the steps; `cli` is the binary's
//! edge; `demo` serves fixtures on loopback for `marsad demo` and the tests.
#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod curate;
pub mod daemon;
pub mod dedup;
pub mod demo;
pub mod eval;
pub mod extract;
pub mod fetch;
pub mod parse;
pub mod pipeline;
pub mod publish;
pub mod store;
pub mod text;
