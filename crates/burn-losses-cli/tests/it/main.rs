//! The CLI's integration tests, one binary: the `burn-losses` binary on every reference fixture
//! and every kind of bad request (`cli`), and a bounded fuzz test of text inputs (`fuzz`).

// The root crate's test helpers: fixture loading, tolerant comparison, the test devices.
#[path = "../../../../tests/it/common/mod.rs"]
mod common;

mod cli;
mod fuzz;
