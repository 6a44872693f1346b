#!/usr/bin/env bash
# Installs the pinned tools the test suite holds daactl's output against, into a cache
# outside the checkout so fresh clones on the same machine reuse them. Idempotent; prints
# the tools folder: ${DAACTL_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/daactl-tools}
set -euo pipefail
cache="${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}"
tools="${DAACTL_TOOLS:-${cache:-${TMPDIR:-/tmp}}/daactl-tools}"
mkdir -p "$tools"

# A Python virtual environment with:
# - kubernetes-validate: Kubernetes' OpenAPI schemas for many versions, strict mode;
# - PyYAML: a YAML 1.1 reader that cross-checks daactl's quoting (tests/injection.rs).
# - yamllint: rendered YAML is clean YAML (tests/conformance.rs).
pins="kubernetes-validate==1.37.0 PyYAML==6.0.3 yamllint==1.38.0"
venv="$tools/venv"
if [ "$(cat "$venv/.daactl-pins" 2>/dev/null)" != "$pins" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  # shellcheck disable=SC2086 # the pins are separate words
  "$venv/bin/pip" install --quiet --disable-pip-version-check $pins >&2
  echo "$pins" > "$venv/.daactl-pins"
fi
echo "$tools"
