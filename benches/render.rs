//! Benchmark: load, render and serialize every environment of the repository, and check every
//! rendered object against its Kubernetes schema, in process.
//!
//! Run with `cargo bench --bench render`. It prints the median and the fastest of many
//! iterations per phase; `scripts/bench.sh` times the whole `daactl` process with hyperfine.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use daactl::kubeschema::{Catalog, Verdict};
use daactl::project::Project;
use daactl::render::{Renderer, TemplateSet};

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
}
