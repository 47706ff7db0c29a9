//! seal-guard keeps plaintext Kubernetes Secrets out of git.
//!
//! Data flows one way: [`source`] yields files, [`manifest`] turns their bytes into
//! documents that keep their byte ranges, [`rules`] judge the documents and return
//! [`finding::Finding`]s, [`report`] prints them, and [`fix`] rewrites files from
//! planned edits. [`seal`] holds all the cryptography.

pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod hook;
mod logging;
pub mod manifest;
pub mod report;
pub mod rules;
pub mod seal;
pub mod source;
