#!/usr/bin/env bash
# Installs the pinned conformance tools the test suite runs, into a cache outside the
# checkout so fresh clones on the same machine reuse them. Idempotent.
#   tools folder: ${DAACTL_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/daactl-tools}
set -euo pipefail
tools="${DAACTL_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/daactl-tools}"
mkdir -p "$tools"

# kubernetes-validate: Kubernetes' OpenAPI schemas for many versions, strict mode.
KUBERNETES_VALIDATE_VERSION=1.37.0
venv="$tools/venv"
if ! "$venv/bin/kubernetes-validate" --version 2>/dev/null | grep -q "$KUBERNETES_VALIDATE_VERSION"; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2
fi

# PyYAML, a YAML 1.1 reader, cross-checks daactl's quoting (tests/injection.rs).
if ! python3 -c 'import yaml' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'PyYAML==6.0.3' >&2
fi
echo "$tools"
