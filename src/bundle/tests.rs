//! Unit tests of bundles.
