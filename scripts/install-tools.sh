#!/usr/bin/env bash
# Installs the pinned tools the test suite holds daactl's output against, into a cache
# outside the checkout so fresh clones on the same machine reuse them. Idempotent and safe to
# run while another checkout's tests use the tools; prints the tools folder:
#   ${DAACTL_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/daactl-tools}
set -euo pipefail
cache="${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}"
tools="${DAACTL_TOOLS:-${cache:-${TMPDIR:-/tmp}}/daactl-tools}"
mkdir -p "$tools"

# A Python virtual environment with:
# - kubernetes-validate: Kubernetes' OpenAPI schemas for many versions, strict mode;
# - PyYAML: a YAML 1.1 reader that cross-checks daactl's quoting (tests/injection.rs);
# - yamllint: rendered YAML is clean YAML (tests/conformance.rs);
# - checkov: an independent policy scanner whose failures on rendered/ must all be documented
#   skips (tests/checkov.rs, schemas/checkov-skips.toml). It runs offline there.
pins="kubernetes-validate==1.37.0 PyYAML==6.0.3 yamllint==1.38.0 checkov==3.3.30"

# Each set of pins gets its own folder, never changed once complete, and `venv` links to the
# current one: a run that changes the pins cannot pull tools from under another run.
id="$(printf '%s' "$pins" | sha256sum | cut -c1-12)"
target="$tools/venv-$id"
(
  flock 9
  if [ ! -f "$target/.complete" ]; then
    rm -rf "$target"
    python3 -m venv "$target" >&2
    # shellcheck disable=SC2086 # the pins are separate words
    "$target/bin/pip" install --quiet --disable-pip-version-check $pins >&2
    touch "$target/.complete"
  fi
  if [ "$(readlink "$tools/venv" 2>/dev/null)" != "venv-$id" ]; then
    [ -L "$tools/venv" ] || rm -rf "$tools/venv"
    ln -s "venv-$id" "$tools/venv.link-$$"
    mv -T "$tools/venv.link-$$" "$tools/venv"
  fi
) 9>"$tools/.lock"
# npm tools, the same way (one folder per set of pins, `node` links to the current one):
# - @microsoft/sarif-multitool: validates `daactl validate --format sarif` against SARIF 2.1.0.
npm_pins="@microsoft/sarif-multitool@5.7.0"
npm_id="$(printf '%s' "$npm_pins" | sha256sum | cut -c1-12)"
npm_target="$tools/node-$npm_id"
(
  flock 9
  if [ ! -f "$npm_target/.complete" ]; then
    rm -rf "$npm_target"
    mkdir -p "$npm_target"
    # shellcheck disable=SC2086 # the pins are separate words
    npm install --silent --no-audit --no-fund --prefix "$npm_target" $npm_pins >&2
    touch "$npm_target/.complete"
  fi
  if [ "$(readlink "$tools/node" 2>/dev/null)" != "node-$npm_id" ]; then
    [ -L "$tools/node" ] || rm -rf "$tools/node"
    ln -s "node-$npm_id" "$tools/node.link-$$"
    mv -T "$tools/node.link-$$" "$tools/node"
  fi
) 9>"$tools/.lock"
echo "$tools"
