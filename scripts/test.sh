#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, every test, and the check that the
# committed rendered/ output is current. Installs what it needs; safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

# The real tools the tests hold daactl's output against (pinned, cached outside the checkout).
DAACTL_TOOLS="$(./scripts/install-tools.sh)"
export DAACTL_TOOLS

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
CI="${CI:-true}" cargo test --locked
cargo run --locked --release --quiet -- diff
# The repository's own environments meet the REQ-T policy (annotations when run on GitHub).
cargo run --locked --release --quiet -- validate --format "$([ -n "${GITHUB_ACTIONS:-}" ] && echo github || echo human)"
# The environments differ only in scale and data (REQ-T245); validate's E245-1 says the same.
cargo run --locked --release --quiet -- parity --violations
