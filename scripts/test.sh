#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, every test, and the check that the
# committed rendered/ output is current. Installs what it needs; safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

# PyYAML, a YAML 1.1 reader, cross-checks daactl's quoting in tests/injection.rs.
if ! python3 -c 'import yaml' 2>/dev/null; then
  python3 -m pip install --quiet 'PyYAML==6.0.3'
fi

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
CI="${CI:-true}" cargo test --locked
cargo run --locked --release --quiet -- diff
