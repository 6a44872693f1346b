//! REQ-T208 Persistent Storage: stateful workloads get SSD-backed volumes, provisioned
//! dynamically from a StorageClass the environment renders.

use serde_json::Value;

use crate::policy::manifest::Manifest;
use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::workload::pod_templates;

/// Provisioners with the parameter naming their disk type and the SSD-backed types.
const SSD_PROVISIONERS: &[(&str, &str, &[&str])] = &[
    ("ebs.csi.aws.com", "type", &["gp3", "io1", "io2"]),
    ("pd.csi.storage.gke.io", "type", &["pd-ssd", "pd-balanced"]),
    (
        "disk.csi.azure.com",
        "skuName",
        &["Premium_LRS", "PremiumV2_LRS", "Premium_ZRS"],
    ),
];

/// Provisioners that cannot grow a volume: asking them to allow expansion would only leave
/// resize requests pending forever.
const NOT_EXPANDABLE: &[&str] = &["rancher.io/local-path", "kubernetes.io/no-provisioner"];

/// ## What it does
/// In environments whose policy sets `cloud`, checks that at least one StorageClass is
/// rendered and that each is SSD-backed (`ebs.csi.aws.com` with `type` gp3, io1 or io2;
/// `pd.csi.storage.gke.io` with pd-ssd or pd-balanced; `disk.csi.azure.com` with `skuName`
/// Premium_LRS, PremiumV2_LRS or Premium_ZRS), binds `WaitForFirstConsumer`, allows volume
/// expansion and retains volumes (`reclaimPolicy: Retain`). In local environments only
/// `WaitForFirstConsumer` and volume expansion are checked, the latter not for provisioners
/// that cannot expand (`rancher.io/local-path`, the kind default).
///
/// ## Why is this bad?
/// Databases on magnetic or burst-credit disks stall under load. `Immediate` binding creates
/// the volume in a zone before the pod is scheduled, pinning pods of a multi-AZ cluster to
/// the wrong zone. Without expansion a full disk means a migration; `Delete` loses the
/// data when a claim is removed by mistake.
pub struct StorageClassNotSsd;

static SSD_META: RuleMeta = RuleMeta {
    code: "K208-1",
    name: "ssd-storage-class",
    requirement: "REQ-T208",
    summary: "Cloud environments render an SSD StorageClass that binds on first consumer, expands and retains",
    rationale: "REQ-T208 asks for SSD-backed storage: PostgreSQL latency depends on it. `WaitForFirstConsumer` lets the scheduler pick the zone before the volume is created, which multi-AZ placement needs; `allowVolumeExpansion` turns a full disk into a resize instead of a migration; `Retain` keeps production data when a claim is deleted. Local clusters have no SSD class to require, but must still bind late.",
    remediation: "Render a StorageClass with an SSD provisioner and type (AWS: `provisioner: ebs.csi.aws.com`, `parameters.type: gp3`), `volumeBindingMode: WaitForFirstConsumer`, `allowVolumeExpansion: true` and `reclaimPolicy: Retain`.",
    peers: &[],
};

impl Rule for StorageClassNotSsd {
    fn meta(&self) -> &RuleMeta {
        &SSD_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let env = cx.env.name.as_str();
        let mut any = false;
        for (index, class) in cx.set.of_kind("StorageClass") {
            any = true;
            out.saw();
            let who = class.subject();
            let value = &class.value;
            let provisioner = value["provisioner"].as_str().unwrap_or("");
            if cx.env.cloud {
                match SSD_PROVISIONERS.iter().find(|(p, _, _)| *p == provisioner) {
                    None => out.fail(
                        index,
                        "/provisioner",
                        format!(
                            "{who} uses provisioner `{provisioner}`, which is not a known SSD-backed block storage driver"
                        ),
                    ),
                    Some((_, parameter, types)) => {
                        match value["parameters"][*parameter].as_str() {
                            Some(t) if types.contains(&t) => {}
                            Some(t) => out.fail(
                                index,
                                format!("/parameters/{parameter}"),
                                format!(
                                    "{who} asks `{provisioner}` for disk type `{t}`, which is not SSD-backed; use {}",
                                    one_of(types)
                                ),
                            ),
                            None => out.fail(
                                index,
                                format!("/parameters/{parameter}"),
                                format!(
                                    "{who} does not set `parameters.{parameter}`, so the disk type is the driver's default; set {}",
                                    one_of(types)
                                ),
                            ),
                        }
                    }
                }
            }
            let binding = value["volumeBindingMode"].as_str().unwrap_or("Immediate");
            if binding != "WaitForFirstConsumer" {
                out.fail(
                    index,
                    "/volumeBindingMode",
                    format!(
                        "{who} binds volumes `{binding}`, before the pod is scheduled; use `WaitForFirstConsumer`"
                    ),
                );
            }
            let expandable = cx.env.cloud || !NOT_EXPANDABLE.contains(&provisioner);
            if expandable && value["allowVolumeExpansion"].as_bool() != Some(true) {
                out.fail(
                    index,
                    "/allowVolumeExpansion",
                    format!("{who} does not allow volume expansion"),
                );
            }
            if cx.env.cloud {
                let reclaim = value["reclaimPolicy"].as_str().unwrap_or("Delete");
                if reclaim != "Retain" {
                    out.fail(
                        index,
                        "/reclaimPolicy",
                        format!(
                            "{who} reclaims released volumes with `{reclaim}`; environment `{env}` needs `Retain`"
                        ),
                    );
                }
            }
        }
        if !any && cx.env.cloud {
            out.fail_environment(format!(
                "environment `{env}` renders no StorageClass, so claims get whatever the cluster's default class is"
            ));
        }
    }
}

/// `` `a`, `b` or `c` ``.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// ## What it does
/// Checks that storage is provisioned dynamically: no PersistentVolume objects, and every
/// PersistentVolumeClaim, StatefulSet `volumeClaimTemplates` entry, generic ephemeral volume
/// (`ephemeral.volumeClaimTemplate`) and CloudNativePG Cluster `spec.storage`,
/// `spec.walStorage` and tablespace storage names a StorageClass rendered in the set
/// (`storageClassName`; CloudNativePG's field is `storageClass`, or
/// `pvcTemplate.storageClassName`) and a size (`resources.requests.storage`; CloudNativePG's
/// `size`).
///
/// ## Why is this bad?
/// A static PersistentVolume ties data to one node or disk created by hand, outside the
/// class's zone, encryption and reclaim settings. A claim without a class gets the
/// cluster's default class, which is not the reviewed SSD class, or stays pending.
pub struct StaticOrUnclassifiedStorage;

static DYNAMIC_META: RuleMeta = RuleMeta {
    code: "K208-2",
    name: "dynamic-provisioning",
    requirement: "REQ-T208",
    summary: "No static PersistentVolumes; every claim names a rendered StorageClass and a size",
    rationale: "Dynamic provisioning from the rendered StorageClass is what makes volumes SSD-backed, encrypted, zone-aware and expandable; a hand-made PersistentVolume or a claim that falls back to the cluster's default class gets none of it, and a claim without a size is refused or sized by accident.",
    remediation: "Remove PersistentVolume objects; set `storageClassName` (CloudNativePG: `storageClass`) to the environment's StorageClass and a size (`resources.requests.storage`, CloudNativePG `size`) on every claim.",
    peers: &["kube-linter:writable-host-mount"],
};

/// One volume request found in an object.
struct ClaimSpec<'a> {
    /// What it is, for messages.
    what: String,
    /// The class named, with the pointer of the field (or of where it belongs).
    class: (Option<&'a str>, String),
    /// Whether a size is set, with the pointer of the field.
    size: (bool, String),
}

fn claim_spec<'a>(spec: &'a Value, pointer: String, what: String) -> ClaimSpec<'a> {
    ClaimSpec {
        class: (
            spec["storageClassName"].as_str(),
            format!("{pointer}/storageClassName"),
        ),
        size: (
            !spec["resources"]["requests"]["storage"].is_null(),
            format!("{pointer}/resources/requests/storage"),
        ),
        what,
    }
}

fn cnpg_storage<'a>(storage: &'a Value, pointer: String, what: String) -> ClaimSpec<'a> {
    let template = &storage["pvcTemplate"];
    let class = match storage["storageClass"].as_str() {
        Some(class) => (Some(class), format!("{pointer}/storageClass")),
        None => match template["storageClassName"].as_str() {
            Some(class) => (
                Some(class),
                format!("{pointer}/pvcTemplate/storageClassName"),
            ),
            None => (None, format!("{pointer}/storageClass")),
        },
    };
    let size = if storage.get("size").is_some() {
        (true, format!("{pointer}/size"))
    } else {
        (
            !template["resources"]["requests"]["storage"].is_null(),
            format!("{pointer}/size"),
        )
    };
    ClaimSpec { what, class, size }
}

/// Every volume request of `manifest`.
fn claims<'a>(
    manifest: &'a Manifest,
    pod_specs: &[(&'static str, &'a Value)],
) -> Vec<ClaimSpec<'a>> {
    let spec = &manifest.value["spec"];
    let mut found = Vec::new();
    if manifest.kind == "PersistentVolumeClaim" {
        found.push(claim_spec(spec, "/spec".into(), String::new()));
    }
    if manifest.kind == "StatefulSet" {
        let templates = spec["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten();
        for (i, template) in templates.enumerate() {
            let name = template["metadata"]["name"].as_str().unwrap_or("?");
            found.push(claim_spec(
                &template["spec"],
                format!("/spec/volumeClaimTemplates/{i}/spec"),
                format!(" volume claim template `{name}`"),
            ));
        }
    }
    for (pointer, pod_spec) in pod_specs {
        let volumes = pod_spec["volumes"].as_array().into_iter().flatten();
        for (i, volume) in volumes.enumerate() {
            let template = &volume["ephemeral"]["volumeClaimTemplate"];
            if template.is_object() {
                let name = volume["name"].as_str().unwrap_or("?");
                found.push(claim_spec(
                    &template["spec"],
                    format!("{pointer}/volumes/{i}/ephemeral/volumeClaimTemplate/spec"),
                    format!(" ephemeral volume `{name}`"),
                ));
            }
        }
    }
    if manifest.is_cnpg_cluster() {
        for field in ["storage", "walStorage"] {
            if let Some(storage) = spec.get(field) {
                found.push(cnpg_storage(
                    storage,
                    format!("/spec/{field}"),
                    format!(" `{field}`"),
                ));
            }
        }
        let tablespaces = spec["tablespaces"].as_array().into_iter().flatten();
        for (i, tablespace) in tablespaces.enumerate() {
            let name = tablespace["name"].as_str().unwrap_or("?");
            found.push(cnpg_storage(
                &tablespace["storage"],
                format!("/spec/tablespaces/{i}/storage"),
                format!(" tablespace `{name}`"),
            ));
        }
    }
    found
}

impl Rule for StaticOrUnclassifiedStorage {
    fn meta(&self) -> &RuleMeta {
        &DYNAMIC_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let templates = pod_templates(cx.set);
        for (index, manifest) in cx.set.manifests.iter().enumerate() {
            let who = manifest.subject();
            if manifest.kind == "PersistentVolume" {
                out.saw();
                out.fail(
                    index,
                    "",
                    format!("{who} is a static volume; provision volumes dynamically from a StorageClass"),
                );
                continue;
            }
            if manifest.is_cnpg_cluster() && manifest.value["spec"].get("storage").is_none() {
                out.saw();
                out.fail(
                    index,
                    "/spec/storage",
                    format!("{who} sets no `spec.storage`, so its instances get no sized, classed volume"),
                );
            }
            let pod_specs: Vec<(&'static str, &Value)> = templates
                .iter()
                .filter(|pod| pod.index == index)
                .map(|pod| (pod.pointer, pod.spec))
                .collect();
            for claim in claims(manifest, &pod_specs) {
                out.saw();
                let what = format!("{who}{}", claim.what);
                match claim.class {
                    (Some(class), pointer) if !class.is_empty() => {
                        if cx.set.find("StorageClass", None, class).is_none() {
                            out.fail(
                                index,
                                pointer,
                                format!("{what} names StorageClass `{class}`, which is not rendered"),
                            );
                        }
                    }
                    (Some(_), pointer) => out.fail(
                        index,
                        pointer,
                        format!("{what} opts out of dynamic provisioning with an empty StorageClass name"),
                    ),
                    (None, pointer) => out.fail(
                        index,
                        pointer,
                        format!("{what} names no StorageClass, so it gets the cluster's default class"),
                    ),
                }
                if !claim.size.0 {
                    out.fail(index, claim.size.1, format!("{what} requests no size"));
                }
            }
        }
    }
}
