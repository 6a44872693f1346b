#!/usr/bin/env python3
"""Vendors the schemas `daactl::kubeschema` validates against.

Writes, deterministically (sorted keys, compact, LF):

- schemas/kubernetes/v1.<minor>.json for each minor in MINORS: the built-in kinds of that
  Kubernetes version from the PyPI package kubernetes-validate (its `-strict` variant, where
  every object that lists properties already has `additionalProperties: false`), cut down to
  the top-level kinds and the definitions reachable from them, with descriptions and other
  keywords that do not validate dropped;
- schemas/crds/<package>.json for each npm package in CRD_PACKAGES: the custom resources'
  schemas that package ships as plain JSON Schema, made strict the same way (an object that
  lists properties refuses others, unless it says x-kubernetes-preserve-unknown-fields or has
  additionalProperties of its own), OpenAPI's `nullable` turned into a `null` type, and the
  object's `metadata` pointed at Kubernetes' own ObjectMeta.

Usage (from the repository root; needs python3, npm and the tools that
scripts/install-tools.sh installs):

    python3 scripts/vendor-schemas.py

Python 3.11, standard library only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

KUBERNETES_VALIDATE = ("kubernetes-validate", "1.37.0")
MINORS = range(28, 34)  # 1.28 .. 1.33

# npm packages whose custom resource schemas are vendored, pinned. Each is the newest release
# of its package that still ships plain JSON Schema objects; later releases ship only
# precompiled validator code, from which no schema can be read back. `upstream` is the
# release of the operator the package's changelog says its CRDs come from. Only the API
# groups daactl renders or will render are taken (the Istio package's install.istio.io
# IstioOperator, for one, lost its open `spec` in the package's conversion).
CRD_PACKAGES = [
    ("@kubernetes-models/argo-cd", "2.5.0", "Argo CD v2.10.8", {"argoproj.io"}),
    ("@kubernetes-models/argo-rollouts", "0.3.1", "Argo Rollouts v1.5.0", {"argoproj.io"}),
    (
        "@kubernetes-models/istio", "2.3.0", "not recorded by the package",
        {"networking.istio.io", "security.istio.io", "telemetry.istio.io"},
    ),
    (
        "@kubernetes-models/prometheus-operator", "4.0.0", "Prometheus Operator v0.57.0",
        {"monitoring.coreos.com"},
    ),
]

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

# Keywords kept: those that validate. Everything else (description, default, format, which
# draft 2020-12 only annotates, x-kubernetes-list-type, patch strategies, ...) is dropped.
SCHEMA_MAPS = {"properties", "patternProperties", "$defs"}
SCHEMA_VALUES = {"items", "additionalProperties", "not"}
SCHEMA_LISTS = {"oneOf", "anyOf", "allOf"}
PLAIN = {
    "type", "$ref", "required", "enum", "const", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
    "uniqueItems", "minProperties", "maxProperties", "multipleOf",
    "x-kubernetes-preserve-unknown-fields",
}


def clean(schema, dropped: set[str], keep: frozenset[str] = frozenset()):
    """Returns `schema` with only validating keywords (and `keep`), recursively."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in SCHEMA_MAPS:
            out[key] = {name: clean(sub, dropped, keep) for name, sub in value.items()}
        elif key in SCHEMA_VALUES:
            out[key] = clean(value, dropped, keep)
        elif key in SCHEMA_LISTS:
            out[key] = [clean(sub, dropped, keep) for sub in value]
        elif key in PLAIN or key in keep:
            out[key] = value
        else:
            dropped.add(key)
    return out


def refs(schema):
    """Yields every $ref in `schema` (a property may be named `$ref`: walk schemas only)."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key == "$ref":
            yield value
        elif key in SCHEMA_MAPS:
            for sub in value.values():
                yield from refs(sub)
        elif key in SCHEMA_VALUES:
            yield from refs(value)
        elif key in SCHEMA_LISTS:
            for sub in value:
                yield from refs(sub)


def def_name(ref: str) -> str:
    prefix = "#/$defs/"
    if not ref.startswith(prefix):
        sys.exit(f"unexpected $ref {ref!r}")
    return ref[len(prefix):]


def write(path: Path, document) -> None:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8", newline="\n")
    print(f"wrote {path.relative_to(ROOT)} ({len(text) // 1024} KiB)")


def tools_site_packages() -> Path:
    tools = subprocess.run(
        [str(ROOT / "scripts/install-tools.sh")], check=True, capture_output=True, text=True
    ).stdout.strip()
    found = sorted(Path(tools).glob("venv/lib/python3*/site-packages"))
    if len(found) != 1:
        sys.exit(f"expected one site-packages in {tools}/venv, found {found}")
    return found[0]


def vendor_kubernetes(site: Path) -> None:
    name, version = KUBERNETES_VALIDATE
    metadata = (site / f"{name.replace('-', '_')}-{version}.dist-info/METADATA")
    if not metadata.is_file():
        sys.exit(f"{name}=={version} is not installed in {site}; run scripts/install-tools.sh")
    for minor in MINORS:
        folder = f"kubernetes_validate/kubernetes-json-schema/v1.{minor}.0-local-strict"
        source = json.loads((site / folder / "_definitions.json").read_text(encoding="utf-8"))
        definitions = source["$defs"]
        kinds: dict[str, dict[str, str]] = {}
        for def_id, schema in definitions.items():
            for gvk in schema.get("x-kubernetes-group-version-kind", []):
                api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                kinds.setdefault(api_version, {})[gvk["kind"]] = def_id
        # Only what the kinds reach.
        reachable: set[str] = set()
        todo = [def_id for by_kind in kinds.values() for def_id in by_kind.values()]
        while todo:
            def_id = todo.pop()
            if def_id in reachable:
                continue
            reachable.add(def_id)
            todo.extend(def_name(ref) for ref in refs(definitions[def_id]))
        dropped: set[str] = set()
        defs = {def_id: clean(definitions[def_id], dropped) for def_id in sorted(reachable)}
        write(
            ROOT / f"schemas/kubernetes/v1.{minor}.json",
            {
                "source": {"package": name, "version": version, "path": f"{folder}/_definitions.json"},
                "kinds": kinds,
                "$defs": defs,
            },
        )
        print(f"  {sum(map(len, kinds.values()))} kinds, {len(defs)} of {len(definitions)} "
              f"definitions; dropped keywords: {', '.join(sorted(dropped))}")


SCHEMA_LITERAL = re.compile(
    r'const schemaId = "(?P<id>[^"]+)";\s*const schema = (?P<schema>\{.*?\n\});', re.S
)


def crd_strict(schema, path: str, counts: dict[str, int]):
    """Converts one CRD schema (as the package ships it) into daactl's strict form."""
    if isinstance(schema, list):
        return [crd_strict(sub, path, counts) for sub in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "$ref":
            if value != f"{OBJECT_META}#":
                sys.exit(f"{path}: unexpected $ref {value!r}")
            out[key] = f"#/$defs/{OBJECT_META}"
        elif key in SCHEMA_MAPS:
            out[key] = {name: crd_strict(sub, f"{path}/{name}", counts) for name, sub in value.items()}
        elif key in SCHEMA_VALUES or key in SCHEMA_LISTS:
            out[key] = crd_strict(value, path, counts)
        else:
            out[key] = value
    if out.pop("nullable", False) is True and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = types + ["null"] if "null" not in types else types
    # The packages write `properties: {}` on every object, also on those the CRD leaves open
    # (x-kubernetes-preserve-unknown-fields, which they drop): only a non-empty list of
    # properties closes an object.
    if out.get("properties") == {}:
        del out["properties"]
    if (
        out.get("properties")
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
        counts["closed"] += 1
    return out


def vendor_crds() -> None:
    # index.json maps apiVersion and kind to the file holding the schema, so daactl parses
    # only the file a kind it checks needs.
    index: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, version, upstream, groups in CRD_PACKAGES:
            packed = json.loads(subprocess.run(
                ["npm", "pack", f"{name}@{version}", "--json", "--silent", "--pack-destination", tmp],
                check=True, capture_output=True, text=True,
            ).stdout)[0]
            extracted = Path(tmp) / packed["filename"].removesuffix(".tgz")
            with tarfile.open(Path(tmp) / packed["filename"]) as archive:
                archive.extractall(extracted, filter="data")
            slug = name.removeprefix("@").replace("/", "-")
            kinds: dict[str, dict[str, object]] = {}
            counts = {"closed": 0}
            files = []
            dropped_all: set[str] = set()
            for file in sorted((extracted / "package").rglob("*.js")):
                match = SCHEMA_LITERAL.search(file.read_text(encoding="utf-8"))
                if not match:
                    continue
                raw = json.loads(match.group("schema"))
                api_version = raw["properties"]["apiVersion"]["enum"][0]
                kind = raw["properties"]["kind"]["enum"][0]
                if api_version.split("/")[0] not in groups:
                    continue
                cleaned = clean(raw, dropped_all, keep=frozenset({"nullable"}))
                schema = crd_strict(cleaned, f"{api_version} {kind}", counts)
                if kind in kinds.get(api_version, {}):
                    sys.exit(f"{name}: {api_version} {kind} twice")
                kinds.setdefault(api_version, {})[kind] = schema
                if kind in index.get(api_version, {}):
                    sys.exit(f"{name}: {api_version} {kind} is also in {index[api_version][kind]}")
                index.setdefault(api_version, {})[kind] = slug
                files.append(str(file.relative_to(extracted / "package")))
            write(
                ROOT / f"schemas/crds/{slug}.json",
                {
                    "source": {
                        "package": f"npm {name}",
                        "version": version,
                        "integrity": packed["integrity"],
                        "upstream": upstream,
                        "groups": sorted(groups),
                        "files": files,
                    },
                    "kinds": kinds,
                },
            )
            print(f"  {len(files)} kinds, {counts['closed']} objects closed; "
                  f"dropped keywords: {', '.join(sorted(dropped_all))}")
    write(ROOT / "schemas/crds/index.json", index)


def main() -> None:
    vendor_kubernetes(tools_site_packages())
    vendor_crds()


if __name__ == "__main__":
    main()
