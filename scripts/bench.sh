#!/usr/bin/env bash
# Times the whole `daactl` process on the repository's three environments with hyperfine,
# then runs the in-process phase benchmark. Figures are recorded in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v hyperfine >/dev/null; then
  apt-get install -y -qq hyperfine >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq hyperfine; }
fi
cargo build --release --locked --quiet
hyperfine --warmup 5 --runs 50 --shell=none \
  './target/release/daactl validate -q' \
  './target/release/daactl diff -q' \
  './target/release/daactl render -q' \
  './target/release/daactl parity --violations' \
  './target/release/daactl render --env production --stdout'
cargo bench --locked --bench render
