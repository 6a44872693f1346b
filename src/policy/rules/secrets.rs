//! REQ-T209 ConfigMaps & Secrets and REQ-T247 Secret Management: no secret is written into a
//! manifest, every configuration reference resolves, and secrets arrive from an external
//! store that is polled often enough for rotation to reach the pods.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use regex_lite::Regex;
use serde_json::Value;

use super::common::token;
use crate::policy::manifest::{Manifest, ManifestSet};
use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::workload::pod_templates;

/// Names of settings that hold secrets.
fn sensitive_name() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(pass(word)?|secret|token|api[_-]?key|credential|private[_-]?key)")
            .expect("the pattern compiles")
    })
}

/// A URL with a password in it: `scheme://user:password@host` (the user may be empty).
fn url_with_credentials() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"://[^/@\s:]*:[^/@\s]+@").expect("the pattern compiles"))
}

/// `$(NAME)`: Kubernetes expands references to other variables at run time, so they are
/// not literals.
fn variable_reference() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\$\([A-Za-z_][A-Za-z0-9_.-]*\)").expect("the pattern compiles"))
}

/// Why a literal `value` of a setting named `name` is a secret in the manifest, if it is.
fn literal_secret(name: &str, value: &str) -> Option<&'static str> {
    // The substring tests are exact prefilters (neither pattern matches without them); they
    // keep the regular expressions off the long values of ConfigMaps such as dashboards.
    let literal = if value.contains("$(") {
        variable_reference().replace_all(value, "")
    } else {
        Cow::Borrowed(value)
    };
    if literal.contains("://") && literal.contains('@') && url_with_credentials().is_match(&literal)
    {
        return Some("a URL with embedded credentials");
    }
    let upper = name.to_ascii_uppercase();
    let names_a_location = ["_FILE", "_PATH", "_DIR"]
        .iter()
        .any(|suffix| upper.ends_with(suffix));
    let harmless = literal.trim().is_empty()
        || names_a_location
        || literal.starts_with('/')
        || matches!(literal.as_ref(), "true" | "false");
    (sensitive_name().is_match(name) && !harmless).then_some("a literal value")
}

/// ## What it does
/// Checks that no container sets an environment variable whose name says it is a secret
/// (`(?i)(pass(word)?|secret|token|api[_-]?key|credential|private[_-]?key)`) to a literal
/// `value`, and that no variable's value is a URL with credentials (`://user:pass@`); and
/// the same for the `data` of ConfigMaps (Polaris `sensitiveConfigmapContent`).
///
/// Values made only of `$(VAR)` references (expanded by Kubernetes from other variables),
/// empty values, `true`/`false`, absolute paths and names ending in `_FILE`, `_PATH` or
/// `_DIR` are not secrets. Values are never printed.
///
/// ## Why is this bad?
/// A literal in a manifest is in Git, in every rendered copy, in `kubectl get -o yaml`
/// for anyone who can read the Deployment, and in the ReplicaSet history; it cannot be
/// rotated without a commit.
pub struct LiteralSecretEnv;

static LITERAL_META: RuleMeta = RuleMeta {
    code: "K209-1",
    name: "literal-secret-env",
    requirement: "REQ-T209",
    summary: "No secret-named environment variable or ConfigMap key holds a literal, and no URL embeds credentials",
    rationale: "REQ-T209 forbids hard-coded secrets: a value written into a Deployment or ConfigMap is committed, rendered, readable by everyone with read access to the namespace, and unrotatable without a release. Secrets reach containers through `secretKeyRef` from Secrets an ExternalSecret creates.",
    remediation: "Move the value into the secret store, deliver it with an ExternalSecret, and read it with `valueFrom.secretKeyRef`; keep only non-secret settings in ConfigMaps, and build URLs from `$(VAR)` references.",
    peers: &[
        "CKV_K8S_35",
        "kube-linter:env-var-secret",
        "polaris:sensitiveContainerEnvVar",
        "polaris:sensitiveConfigmapContent",
        "datree:ALL_EXPOSED_SECRET_*",
    ],
};

impl Rule for LiteralSecretEnv {
    fn meta(&self) -> &RuleMeta {
        &LITERAL_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in pod_templates(cx.set) {
            for container in pod.containers() {
                out.saw();
                let env = container.value["env"].as_array().into_iter().flatten();
                for (i, variable) in env.enumerate() {
                    let (Some(name), Some(value)) =
                        (variable["name"].as_str(), variable["value"].as_str())
                    else {
                        continue;
                    };
                    if let Some(what) = literal_secret(name, value) {
                        out.fail(
                            pod.index,
                            container.at(&format!("/env/{i}/value")),
                            format!(
                                "container `{}` of {} sets `{name}` to {what}",
                                container.name,
                                pod.owner.subject()
                            ),
                        );
                    }
                }
            }
        }
        for (index, config) in cx.set.of_kind("ConfigMap") {
            out.saw();
            let data = config.value["data"].as_object().into_iter().flatten();
            for (key, value) in data {
                let Some(value) = value.as_str() else {
                    continue;
                };
                if let Some(what) = literal_secret(key, value) {
                    out.fail(
                        index,
                        format!("/data/{}", token(key)),
                        format!("{} sets `{key}` to {what}", config.subject()),
                    );
                }
            }
        }
    }
}

/// Keys an object holds, `None` when they cannot be known from the manifest.
type Keys = Option<BTreeSet<String>>;

fn object_keys<'a>(maps: impl IntoIterator<Item = &'a Value>) -> BTreeSet<String> {
    maps.into_iter()
        .filter_map(Value::as_object)
        .flat_map(|map| map.keys().cloned())
        .collect()
}

/// The ConfigMaps and Secrets a namespace will hold: rendered ones, and those an
/// ExternalSecret or SealedSecret produces, by `(namespace, kind, name)`.
fn available(set: &ManifestSet) -> BTreeMap<(String, &'static str, String), (Keys, String)> {
    let mut found = BTreeMap::new();
    for manifest in &set.manifests {
        let Some(namespace) = manifest.namespace.clone() else {
            continue;
        };
        let value = &manifest.value;
        let spec = &value["spec"];
        let (kind, name, keys): (&'static str, String, Keys) = match manifest.kind.as_str() {
            "ConfigMap" => (
                "ConfigMap",
                manifest.name.clone(),
                Some(object_keys([&value["data"], &value["binaryData"]])),
            ),
            "Secret" => {
                let keys = (value["type"] != "kubernetes.io/service-account-token")
                    .then(|| object_keys([&value["data"], &value["stringData"]]));
                ("Secret", manifest.name.clone(), keys)
            }
            "ExternalSecret" if manifest.api_version.starts_with("external-secrets.io/") => {
                let target = &spec["target"];
                let name = target["name"].as_str().unwrap_or(&manifest.name).to_owned();
                let template = &target["template"];
                let secret_keys = spec["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d["secretKey"].as_str().map(str::to_owned));
                let keys =
                    if spec.get("dataFrom").is_some() || template.get("templateFrom").is_some() {
                        None
                    } else if let Some(data) = template["data"].as_object() {
                        let mut keys: BTreeSet<String> = data.keys().cloned().collect();
                        if template["mergePolicy"] == "Merge" {
                            keys.extend(secret_keys);
                        }
                        Some(keys)
                    } else {
                        Some(secret_keys.collect())
                    };
                ("Secret", name, keys)
            }
            "SealedSecret" if manifest.api_version.starts_with("bitnami.com/") => {
                let name = spec["template"]["metadata"]["name"]
                    .as_str()
                    .unwrap_or(&manifest.name)
                    .to_owned();
                let keys = object_keys([&spec["encryptedData"], &spec["template"]["data"]]);
                ("Secret", name, Some(keys))
            }
            _ => continue,
        };
        let origin = manifest.subject();
        found
            .entry((namespace, kind, name))
            .and_modify(|(existing, _): &mut (Keys, String)| {
                // Two producers of one name: only keys both agree on are certain.
                if let (Some(a), Some(b)) = (existing.as_mut(), keys.as_ref()) {
                    a.extend(b.iter().cloned());
                } else {
                    *existing = None;
                }
            })
            .or_insert((keys, origin));
    }
    found
}

/// One reference to a ConfigMap or Secret.
struct Reference<'a> {
    kind: &'static str,
    name: &'a str,
    key: Option<&'a str>,
    optional: bool,
    /// Pointer of the name field.
    pointer: String,
    /// Pointer of the key field, when there is one.
    key_pointer: String,
    /// ``container `api` ``, ``volume `config` ``.
    from: String,
}

fn push_reference<'a>(
    found: &mut Vec<Reference<'a>>,
    kind: &'static str,
    source: &'a Value,
    name_field: &str,
    at: &str,
    from: String,
) {
    let Some(name) = source[name_field].as_str() else {
        return;
    };
    let optional = source["optional"].as_bool() == Some(true);
    let pointer = format!("{at}/{name_field}");
    match (source.get("key"), source["items"].as_array()) {
        (Some(key), _) => found.push(Reference {
            kind,
            name,
            key: key.as_str(),
            optional,
            pointer,
            key_pointer: format!("{at}/key"),
            from,
        }),
        (None, Some(items)) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                found.push(Reference {
                    kind,
                    name,
                    key: item["key"].as_str(),
                    optional,
                    pointer: pointer.clone(),
                    key_pointer: format!("{at}/items/{i}/key"),
                    from: from.clone(),
                });
            }
        }
        _ => found.push(Reference {
            kind,
            name,
            key: None,
            optional,
            pointer,
            key_pointer: String::new(),
            from,
        }),
    }
}

/// Every ConfigMap and Secret reference of one object.
fn references<'a>(
    manifest: &'a Manifest,
    pod_specs: &[(&'static str, &'a Value)],
) -> Vec<Reference<'a>> {
    let mut found = Vec::new();
    for (pointer, spec) in pod_specs {
        for field in ["initContainers", "containers", "ephemeralContainers"] {
            let containers = spec[field].as_array().into_iter().flatten();
            for (c, container) in containers.enumerate() {
                let at = format!("{pointer}/{field}/{c}");
                let from = format!("container `{}`", container["name"].as_str().unwrap_or("?"));
                let env = container["env"].as_array().into_iter().flatten();
                for (i, variable) in env.enumerate() {
                    for (source, kind) in
                        [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")]
                    {
                        let value = &variable["valueFrom"][source];
                        if value.is_object() {
                            let at = format!("{at}/env/{i}/valueFrom/{source}");
                            push_reference(&mut found, kind, value, "name", &at, from.clone());
                        }
                    }
                }
                let env_from = container["envFrom"].as_array().into_iter().flatten();
                for (i, source) in env_from.enumerate() {
                    for (reference, kind) in
                        [("configMapRef", "ConfigMap"), ("secretRef", "Secret")]
                    {
                        if source[reference].is_object() {
                            let at = format!("{at}/envFrom/{i}/{reference}");
                            push_reference(
                                &mut found,
                                kind,
                                &source[reference],
                                "name",
                                &at,
                                from.clone(),
                            );
                        }
                    }
                }
            }
        }
        let volumes = spec["volumes"].as_array().into_iter().flatten();
        for (v, volume) in volumes.enumerate() {
            let at = format!("{pointer}/volumes/{v}");
            let from = format!("volume `{}`", volume["name"].as_str().unwrap_or("?"));
            if volume["configMap"].is_object() {
                push_reference(
                    &mut found,
                    "ConfigMap",
                    &volume["configMap"],
                    "name",
                    &format!("{at}/configMap"),
                    from.clone(),
                );
            }
            if volume["secret"].is_object() {
                push_reference(
                    &mut found,
                    "Secret",
                    &volume["secret"],
                    "secretName",
                    &format!("{at}/secret"),
                    from.clone(),
                );
            }
            let sources = volume["projected"]["sources"]
                .as_array()
                .into_iter()
                .flatten();
            for (s, source) in sources.enumerate() {
                for (field, kind) in [("configMap", "ConfigMap"), ("secret", "Secret")] {
                    if source[field].is_object() {
                        let at = format!("{at}/projected/sources/{s}/{field}");
                        push_reference(&mut found, kind, &source[field], "name", &at, from.clone());
                    }
                }
            }
        }
    }
    if manifest.is_cnpg_cluster() {
        let spec = &manifest.value["spec"];
        for (value, at, from) in [
            (
                &spec["bootstrap"]["initdb"]["secret"],
                "/spec/bootstrap/initdb/secret",
                "`bootstrap.initdb.secret`",
            ),
            (
                &spec["superuserSecret"],
                "/spec/superuserSecret",
                "`superuserSecret`",
            ),
        ] {
            if value.is_object() {
                push_reference(&mut found, "Secret", value, "name", at, from.into());
            }
        }
    }
    found
}

/// ## What it does
/// Checks that every reference to a ConfigMap or Secret (`configMapKeyRef`, `secretKeyRef`,
/// `envFrom` `configMapRef`/`secretRef`, `configMap` and `secret` volumes, projected
/// sources, and a CloudNativePG Cluster's `bootstrap.initdb.secret` and `superuserSecret`)
/// names one in the same namespace that is rendered, or that an ExternalSecret
/// (`spec.target.name`, else its own name) or SealedSecret in the set produces; and, where
/// the keys are known (rendered `data`, an ExternalSecret's `data[].secretKey` or template
/// keys, a SealedSecret's `encryptedData`), that a referenced key exists. References marked
/// `optional: true` are skipped.
///
/// ## Why is this bad?
/// A missing ConfigMap, Secret or key keeps the pod in `CreateContainerConfigError` or
/// `ContainerCreating`: the rollout stalls, and with `maxUnavailable: 0` it never finishes.
pub struct DanglingConfigReference;

static DANGLING_META: RuleMeta = RuleMeta {
    code: "K209-2",
    name: "dangling-config-reference",
    requirement: "REQ-T209",
    summary: "Every ConfigMap and Secret reference resolves to one rendered or produced in its namespace",
    rationale: "Configuration lives in ConfigMaps and Secrets (REQ-T209), so each reference must resolve in the environment it is rendered for: a name or key that exists in no ConfigMap, Secret, ExternalSecret or SealedSecret of the namespace stops the pod from starting, which only shows at deploy time.",
    remediation: "Render the ConfigMap, or the ExternalSecret whose `spec.target.name` is the Secret's name, in the pod's namespace with the referenced keys; or fix the reference's name or key.",
    peers: &[
        "datree:CIS_INVALID_KEY_SECRETKEYREF_SECRETREF",
        "kube-linter:env-value-from",
    ],
};

impl Rule for DanglingConfigReference {
    fn meta(&self) -> &RuleMeta {
        &DANGLING_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let available = available(cx.set);
        let templates = pod_templates(cx.set);
        for (index, manifest) in cx.set.manifests.iter().enumerate() {
            let Some(namespace) = manifest.namespace.as_deref() else {
                continue;
            };
            let pod_specs: Vec<(&'static str, &Value)> = templates
                .iter()
                .filter(|pod| pod.index == index)
                .map(|pod| (pod.pointer, pod.spec))
                .collect();
            for reference in references(manifest, &pod_specs) {
                out.saw();
                if reference.optional {
                    continue;
                }
                let lookup = (
                    namespace.to_owned(),
                    reference.kind,
                    reference.name.to_owned(),
                );
                let what = format!("{} of {}", reference.from, manifest.subject());
                match available.get(&lookup) {
                    None => {
                        let source = if reference.kind == "Secret" {
                            format!(
                                "neither rendered in namespace `{namespace}` nor produced there by an ExternalSecret or SealedSecret"
                            )
                        } else {
                            format!("not rendered in namespace `{namespace}`")
                        };
                        out.fail(
                            index,
                            reference.pointer,
                            format!(
                                "{what} reads {} `{}`, which is {source}",
                                reference.kind, reference.name
                            ),
                        );
                    }
                    Some((Some(keys), origin)) => {
                        if let Some(key) = reference.key.filter(|k| !keys.contains(*k)) {
                            out.fail(
                                index,
                                reference.key_pointer,
                                format!(
                                    "{what} reads key `{key}` of {} `{}`, which {origin} does not provide",
                                    reference.kind, reference.name
                                ),
                            );
                        }
                    }
                    Some((None, _)) => {}
                }
            }
        }
    }
}

/// ## What it does
/// Checks that no `Secret` carries values in `data` or `stringData`, except
/// `kubernetes.io/service-account-token` Secrets (filled by the control plane). SealedSecrets
/// and ExternalSecrets are how secrets arrive instead.
///
/// ## Why is this bad?
/// `data` is base64, an encoding: a rendered Secret puts the value in Git and in every copy
/// of the output, where rotation cannot reach it.
pub struct PlaintextSecret;

static PLAINTEXT_META: RuleMeta = RuleMeta {
    code: "K247-1",
    name: "plaintext-secret",
    requirement: "REQ-T247",
    summary: "No rendered Secret carries `data` or `stringData`; secrets come from ExternalSecrets or SealedSecrets",
    rationale: "REQ-T247 keeps secrets out of Git: a Secret's `data` is only base64-encoded, so a rendered Secret publishes its value to everyone who can read the repository or the rendered output. ExternalSecrets fetch from the secret store at run time and SealedSecrets are encrypted for the cluster.",
    remediation: "Replace the Secret with an ExternalSecret (`spec.target.name` set to the Secret's name) reading from the secret store, or a SealedSecret.",
    peers: &[
        "CKV_SECRET_*",
        "polaris:sensitiveConfigmapContent",
        "datree:ALL_EXPOSED_SECRET_*",
    ],
};

impl Rule for PlaintextSecret {
    fn meta(&self) -> &RuleMeta {
        &PLAINTEXT_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, manifest) in cx.set.manifests.iter().enumerate() {
            match manifest.kind.as_str() {
                "SealedSecret" | "ExternalSecret" => out.saw(),
                "Secret" => {
                    out.saw();
                    if manifest.value["type"] == "kubernetes.io/service-account-token" {
                        continue;
                    }
                    for field in ["data", "stringData"] {
                        let has_values = manifest.value[field]
                            .as_object()
                            .is_some_and(|values| !values.is_empty());
                        if has_values {
                            out.fail(
                                index,
                                format!("/{field}"),
                                format!(
                                    "{} carries its values in plain text in `{field}`",
                                    manifest.subject()
                                ),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Longest refresh interval: a rotated secret reaches the cluster within a day.
const MAX_REFRESH_NANOS: i128 = 24 * 3600 * 1_000_000_000;
/// Shortest refresh interval: more often than once a minute only adds provider calls.
const MIN_REFRESH_NANOS: i128 = 60 * 1_000_000_000;

/// ## What it does
/// Checks that every ExternalSecret sets `spec.refreshInterval` to a Go duration (`1h`,
/// `30m`, `1h30m`) from 1 minute to 24 hours, and does not set a `refreshPolicy` other than
/// `Periodic`.
///
/// ## Why is this bad?
/// Quarterly rotation is only done when the new value reaches the cluster. `0`, or a
/// `CreatedOnce`/`OnChange` policy, never fetches it again; a long interval leaves pods on
/// the revoked value for days. Below a minute, every ExternalSecret calls the paid,
/// rate-limited provider API more than 1440 times a day for no gain.
pub struct SecretNotRefreshed;

static REFRESH_META: RuleMeta = RuleMeta {
    code: "K247-2",
    name: "secret-refresh",
    requirement: "REQ-T247",
    summary: "ExternalSecrets refresh periodically, at least daily and at most once a minute",
    rationale: "Quarterly rotation needs the rotated value to reach the cluster before the old one is revoked: with a refresh interval of at most 24h it arrives within a day of rotation, while `0` (or `refreshPolicy: CreatedOnce`/`OnChange`) never fetches it again. An interval under 1m buys nothing (pods read the Secret at start) and multiplies calls to a paid, rate-limited secret store.",
    remediation: "Set `spec.refreshInterval` on every ExternalSecret to a duration from `1m` to `24h` (e.g. `1h`) and leave `refreshPolicy` unset or `Periodic`.",
    peers: &["CKV_AWS_304"],
};

impl Rule for SecretNotRefreshed {
    fn meta(&self) -> &RuleMeta {
        &REFRESH_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, secret) in cx.set.of_kind("ExternalSecret") {
            if !secret.api_version.starts_with("external-secrets.io/") {
                continue;
            }
            out.saw();
            let who = secret.subject();
            let spec = &secret.value["spec"];
            if let Some(policy) = spec["refreshPolicy"].as_str().filter(|p| *p != "Periodic") {
                out.fail(
                    index,
                    "/spec/refreshPolicy",
                    format!(
                        "{who} sets `refreshPolicy: {policy}`, so a rotated value is never fetched"
                    ),
                );
                continue;
            }
            let Some(interval) = spec["refreshInterval"].as_str() else {
                out.fail(
                    index,
                    "/spec/refreshInterval",
                    format!("{who} sets no `refreshInterval`; set one from `1m` to `24h`"),
                );
                continue;
            };
            let problem = match go_duration_nanos(interval) {
                None => "is not a Go duration such as `1h` or `1h30m`",
                Some(0) => "disables refresh, so a rotated value is never fetched",
                Some(n) if n < 0 => "is negative",
                Some(n) if n < MIN_REFRESH_NANOS => {
                    "polls the secret store more than once a minute"
                }
                Some(n) if n > MAX_REFRESH_NANOS => {
                    "leaves a rotated value unfetched for more than 24h"
                }
                Some(_) => continue,
            };
            out.fail(
                index,
                "/spec/refreshInterval",
                format!("{who} has `refreshInterval: {interval}`, which {problem}"),
            );
        }
    }
}

/// A Go duration (`time.ParseDuration`) in nanoseconds: an optional sign, then one or more
/// decimal numbers each with a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), or `0`.
fn go_duration_nanos(text: &str) -> Option<i128> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return None;
        }
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3600 * 1_000_000_000,
            _ => return None,
        };
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut value = whole.checked_mul(scale)?;
        if !fraction.is_empty() {
            let digits = &fraction[..fraction.len().min(18)];
            let numerator: i128 = digits.parse().ok()?;
            value += numerator * scale / 10i128.pow(digits.len() as u32);
        }
        total = total.checked_add(value)?;
        rest = next;
    }
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let second = 1_000_000_000i128;
        assert_eq!(go_duration_nanos("1h"), Some(3600 * second));
        assert_eq!(go_duration_nanos("30m"), Some(1800 * second));
        assert_eq!(go_duration_nanos("1h30m"), Some(5400 * second));
        assert_eq!(go_duration_nanos("24h"), Some(86_400 * second));
        assert_eq!(go_duration_nanos("1.5h"), Some(5400 * second));
        assert_eq!(go_duration_nanos(".5m"), Some(30 * second));
        assert_eq!(go_duration_nanos("300ms"), Some(300_000_000));
        assert_eq!(go_duration_nanos("-2m"), Some(-120 * second));
        assert_eq!(go_duration_nanos("0"), Some(0));
        assert_eq!(go_duration_nanos("0s"), Some(0));
        for bad in ["", "1", "1d", "h", "1h30", "1..5h", " 1h", "1h "] {
            assert_eq!(go_duration_nanos(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn literal_secrets() {
        assert!(literal_secret("DB_PASSWORD", "hunter2").is_some());
        assert!(literal_secret("api-key", "abc").is_some());
        assert!(literal_secret("DATABASE_URL", "postgres://app:hunter2@db:5432/app").is_some());
        assert!(literal_secret("REDIS_URL", "redis://:hunter2@redis:6379").is_some());
        assert!(literal_secret("REDIS_URL", "redis://:$(REDIS_PASSWORD)@redis:6379").is_none());
        assert!(literal_secret("DB_PASSWORD", "$(PASSWORD_FROM_SECRET)").is_none());
        assert!(literal_secret("TOKEN_FILE", "/var/run/secrets/token").is_none());
        assert!(literal_secret("GOOGLE_APPLICATION_CREDENTIALS", "/etc/gcp/key.json").is_none());
        assert!(literal_secret("DB_PASSWORD", "").is_none());
        assert!(literal_secret("LOG_LEVEL", "info").is_none());
        assert!(literal_secret("SERVICE_URL", "http://svc.ns.svc:3000/path").is_none());
    }
}
