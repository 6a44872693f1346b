//! Benchmark: load, render and serialize every environment of the repository, and check every
//! rendered object against its Kubernetes schema, in process.
//!
//! Run with `cargo bench --bench render`. It prints the median and the fastest of many
//! iterations per phase; `scripts/bench.sh` times the whole `daactl` process with hyperfine.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use daactl::bundle::archive::Limits;
use daactl::bundle::keys::PrivateKey;
use daactl::bundle::manifest::{InputDigest, Inputs, ValidationSummary};
use daactl::bundle::verify::verify;
use daactl::bundle::{self, Description};
use daactl::kubeschema::{Catalog, Verdict};
use daactl::parity::{self, AllowList, EnvironmentParity, Parity};
use daactl::policy::catalogue::{Policy, Severity};
use daactl::policy::engine::{self, Settings, Target};
use daactl::policy::manifest::ManifestSet;
use daactl::policy::registry;
use daactl::policy::rule::{Check, Context};
use daactl::policy::terraform::TerraformSource;
use daactl::policy::waiver::Date;
use daactl::project::Project;
use daactl::render::{Renderer, TemplateSet};
use daactl::variance::Variance;

// The allocator the `daactl` binary uses (src/main.rs), so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn measure(name: &str, iterations: usize, mut work: impl FnMut()) {
    work(); // warm up lazily compiled patterns and caches
    let mut samples: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    samples.sort();
    println!(
        "{name:<44} median {:>9.3} ms   min {:>9.3} ms   ({iterations} runs)",
        samples[iterations / 2].as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = Project::discover(Some(root), root).unwrap();
    let specs = project.load_specs(&[]).unwrap();
    let renderer = Renderer::new(TemplateSet::embedded().unwrap()).unwrap();

    measure("load and validate 3 specs", 200, || {
        black_box(project.load_specs(&[]).unwrap());
    });
    measure("compile templates", 200, || {
        black_box(Renderer::new(TemplateSet::embedded().unwrap()).unwrap());
    });
    measure("render 3 environments (parse included)", 200, || {
        for spec in &specs {
            black_box(renderer.render(spec).unwrap());
        }
    });
    let rendered: Vec<_> = specs.iter().map(|s| renderer.render(s).unwrap()).collect();
    measure("emit canonical YAML for 3 environments", 200, || {
        for environment in &rendered {
            black_box(environment.files());
        }
    });
    let objects: Vec<&serde_json::Value> = rendered
        .iter()
        .flat_map(|environment| environment.resources.iter().map(|r| &r.value))
        .collect();
    let check = |catalog: &Catalog| {
        let schemas = catalog.version("1.33").unwrap();
        for object in &objects {
            assert!(matches!(
                black_box(schemas.check(object)),
                Verdict::Valid | Verdict::Unknown { .. }
            ));
        }
    };
    measure("load the Kubernetes 1.33 schemas", 50, || {
        black_box(Catalog::unloaded().version("1.33").unwrap());
    });
    measure(
        &format!("check {} objects, cold: load + compile", objects.len()),
        50,
        || check(&Catalog::unloaded()),
    );
    measure(
        &format!("check {} objects, warm", objects.len()),
        200,
        || check(Catalog::embedded()),
    );
    measure(
        "whole pipeline: load + compile + render + emit",
        200,
        || {
            let renderer = Renderer::new(TemplateSet::embedded().unwrap()).unwrap();
            for spec in project.load_specs(&[]).unwrap() {
                black_box(renderer.render(&spec).unwrap().files());
            }
        },
    );
    measure(
        "Kustomize tree of 3 environments (variance included)",
        200,
        || {
            black_box(daactl::kustomize::files(&Variance::of(&rendered)).unwrap());
        },
    );
    measure(
        "Helm chart of 3 environments (variance included)",
        200,
        || {
            black_box(daactl::helm::chart(&Variance::of(&rendered), "production").unwrap());
        },
    );
    // Every artifact family of every environment, as `daactl render` writes them.
    let render_everything = || {
        let renderer = Renderer::new(TemplateSet::embedded().unwrap()).unwrap();
        let specs = project.load_specs(&[]).unwrap();
        let rendered = renderer.render_all(&specs).unwrap();
        for environment in &rendered {
            black_box(environment.files());
        }
        for spec in &specs {
            black_box(daactl::terraform::files(spec));
        }
        black_box(daactl::shared::build(&specs, &rendered).unwrap());
        (specs, rendered)
    };
    measure(
        "render 3 environments with manifests, Kustomize, Helm and workflow output",
        200,
        || {
            render_everything();
        },
    );
    let allow = AllowList::embedded().unwrap();
    measure("variance model of 3 environments", 200, || {
        black_box(Variance::of(&rendered));
    });
    measure("variance + parity of 3 environments", 200, || {
        let variance = Variance::of(&rendered);
        black_box(Parity::of(&variance, &allow));
    });
    let policy = Policy::embedded();
    let settings = Settings {
        policy,
        file_waivers: &[],
        ignore_waivers: false,
        today: Date::parse("2026-11-27").unwrap(),
    };
    let index = |rendered: Vec<daactl::render::Rendered>| -> Vec<ManifestSet> {
        rendered
            .into_iter()
            .map(|r| ManifestSet::from_rendered(r, "rendered"))
            .collect()
    };
    let parity_views =
        |rendered: &[daactl::render::Rendered]| parity::environment_views(rendered).unwrap();
    // Each environment's Terraform, as validate builds it.
    let terraform = |specs: &[daactl::spec::Spec]| -> Vec<Option<TerraformSource>> {
        specs
            .iter()
            .map(|spec| {
                daactl::terraform::document(&spec.environment).map(|doc| {
                    TerraformSource::rendered(
                        daactl::terraform::path("rendered", &spec.environment.name),
                        doc,
                    )
                })
            })
            .collect()
    };
    let validate = |sets: &[ManifestSet],
                    views: &[EnvironmentParity],
                    documents: &[Option<TerraformSource>]| {
        let targets: Vec<Target<'_>> = sets
            .iter()
            .zip(views)
            .zip(documents)
            .zip(["development", "production", "staging"])
            .map(|(((set, view), document), name)| Target {
                set,
                env: policy.environment(name).unwrap(),
                kubernetes_version: "1.33",
                spec_file: None,
                parity: Some(view),
                terraform: document.as_ref(),
            })
            .collect();
        black_box(engine::validate(&targets, &settings))
    };
    let views = parity_views(&rendered);
    let sets = index(rendered.clone());
    let documents = terraform(&project.load_specs(&[]).unwrap());
    measure(
        &format!(
            "validate 3 indexed environments: schema + {} rules",
            registry::RULES.len()
        ),
        200,
        || {
            validate(&sets, &views, &documents);
        },
    );
    measure(
        "render + parity + validate 3 environments (load specs, compile templates)",
        200,
        || {
            let renderer = Renderer::new(TemplateSet::embedded().unwrap()).unwrap();
            let specs = project.load_specs(&[]).unwrap();
            let rendered = renderer.render_all(&specs).unwrap();
            let views = parity_views(&rendered);
            validate(&index(rendered), &views, &terraform(&specs));
        },
    );
    measure(
        "every artifact family of 3 environments + parity + validate (issue 5's figure)",
        200,
        || {
            let (specs, rendered) = render_everything();
            let views = parity_views(&rendered);
            validate(&index(rendered), &views, &terraform(&specs));
        },
    );
    // Each rule on production, warm: where validation time goes.
    assert_eq!(rendered[1].environment, "production");
    let cx = Context {
        set: &sets[1],
        env: policy.environment("production").unwrap(),
        kubernetes_version: "1.33",
        parity: Some(&views[1]),
        terraform: documents[1].as_ref(),
    };
    let mut costs: Vec<(Duration, &str)> = registry::RULES
        .iter()
        .map(|rule| {
            let start = Instant::now();
            for _ in 0..50 {
                let mut check = Check::default();
                rule.check(&cx, &mut check);
                black_box(check);
            }
            (start.elapsed() / 50, rule.meta().code)
        })
        .collect();
    costs.sort_by(|a, b| b.cmp(a));
    let slowest: Vec<String> = costs
        .iter()
        .take(5)
        .map(|(d, code)| format!("{code} {:.3} ms", d.as_secs_f64() * 1e3))
        .collect();
    println!(
        "slowest rules on production (mean of 50): {}",
        slowest.join(", ")
    );

    // Release bundles (issue 6): production's slice of every artifact family, archived,
    // signed and verified, and the whole path from the specs to a verified bundle.
    let trees = daactl::shared::build(&specs, &rendered).unwrap();
    let files_of = |rendered: &[daactl::render::Rendered], trees: &[daactl::shared::Tree]| {
        daactl::bundle::contents::environment_files(
            "production",
            &rendered[1].files(),
            &daactl::terraform::files(&specs[1]),
            trees,
        )
    };
    let files = files_of(&rendered, &trees);
    let size: usize = files.values().map(Vec::len).sum();
    let report = validate(&sets, &views, &documents);
    let templates = TemplateSet::embedded().unwrap();
    let description = Description {
        environment: "production".to_owned(),
        source_commit: None,
        inputs: Inputs {
            specs: specs
                .iter()
                .map(|s| InputDigest::of(s.file.clone(), s.source.as_bytes()))
                .collect(),
            templates: templates
                .templates
                .iter()
                .map(|t| InputDigest::of(format!("templates/{}", t.name), t.source.as_bytes()))
                .collect(),
            custom_templates: false,
            waivers: None,
        },
        validation: ValidationSummary::of(&report, Severity::High),
        mtime: bundle::DEFAULT_EPOCH,
    };
    let key = PrivateKey::generate().unwrap();
    let public = key.public_key();
    let built = bundle::build(description.clone(), &files).unwrap();
    let signatures = bundle::sign(&built, "daa-production.tar.gz", &key);
    measure(
        &format!(
            "bundle production: manifest, tar, gzip -4 ({} files, {} KiB)",
            files.len(),
            size / 1024
        ),
        100,
        || {
            black_box(bundle::build(description.clone(), &files).unwrap());
        },
    );
    measure(
        "sign the bundle and its provenance (ECDSA P-256)",
        100,
        || {
            black_box(bundle::sign(&built, "daa-production.tar.gz", &key));
        },
    );
    let limits = Limits::default();
    measure(
        "verify the bundle: signatures, inflate, every digest",
        100,
        || {
            black_box(
                verify(
                    &built.archive,
                    &signatures.signature,
                    &signatures.provenance,
                    &public,
                    &limits,
                )
                .unwrap(),
            );
        },
    );
    measure(
        "render everything + validate + bundle + sign + verify production (issue 6's figure)",
        100,
        || {
            // As `daactl bundle`: every environment renders, for the shared trees.
            let renderer = Renderer::new(TemplateSet::embedded().unwrap()).unwrap();
            let specs = project.load_specs(&[]).unwrap();
            let rendered = renderer.render_all(&specs).unwrap();
            // As `daactl bundle`: the shared trees and the compression on one thread,
            // validation on the other.
            let packed = std::thread::scope(|scope| {
                let packed = scope.spawn(|| {
                    let trees = daactl::shared::build(&specs, &rendered).unwrap();
                    bundle::pack(&files_of(&rendered, &trees), description.mtime).unwrap()
                });
                let views = parity_views(&rendered);
                validate(&index(rendered.clone()), &views, &terraform(&specs));
                packed.join().unwrap()
            });
            let built = bundle::finish(packed, description.clone()).unwrap();
            let signatures = bundle::sign(&built, "daa-production.tar.gz", &key);
            black_box(
                verify(
                    &built.archive,
                    &signatures.signature,
                    &signatures.provenance,
                    &public,
                    &limits,
                )
                .unwrap(),
            );
        },
    );
}
