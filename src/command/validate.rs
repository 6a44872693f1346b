//! `daactl validate`, `daactl rules` and `daactl explain`.

use anyhow::{Context as _, Result, bail};

use daactl::gitops;
use daactl::kubeschema::Catalog;
use daactl::parity::{self, EnvironmentParity};
use daactl::policy::catalogue::{Policy, Severity};
use daactl::policy::engine::{self, Settings, Target};
use daactl::policy::explain;
use daactl::policy::format;
use daactl::policy::manifest::ManifestSet;
use daactl::policy::report::Report;
use daactl::policy::terraform::TerraformSource;
use daactl::policy::waiver::{self, Date, Waiver};
use daactl::project::{Project, RENDERED_DIR};
use daactl::render::Rendered;
use daactl::spec::Spec;
use daactl::terraform;

use super::{Outcome, Session, load_and_render, progress, write_stdout};
use crate::cli::{FailOn, RulesFormat, Selection, ValidateArgs, ValidateFormat};

/// How each of `rendered` compares with the reference environment (REQ-T245). Parity is
/// judged across every environment of the project, also when `--env` selects fewer; if the
/// others cannot be rendered, the selected ones are compared among themselves.
fn parity_views(
    session: &Session,
    project: &Project,
    args: &ValidateArgs,
    rendered: &[Rendered],
) -> Result<Vec<Option<EnvironmentParity>>> {
    let everything = if args.selection.environments.is_empty() {
        None
    } else {
        let all = Selection {
            environments: Vec::new(),
            templates: args.selection.templates.clone(),
        };
        match load_and_render(project, &all) {
            Ok((_, renders)) => Some(renders),
            Err(err) => {
                progress(
                    session,
                    &format!(
                        "note: parity (E245-1) compares only the selected environments: the others do not render ({})",
                        err.to_string().lines().next().unwrap_or_default()
                    ),
                );
                None
            }
        }
    };
    let compared = everything.as_deref().unwrap_or(rendered);
    if compared.len() < 2 {
        return Ok(vec![None; rendered.len()]);
    }
    let mut views = parity::environment_views(compared)?;
    Ok(rendered
        .iter()
        .map(|r| {
            let index = compared
                .iter()
                .position(|c| c.environment == r.environment)?;
            Some(std::mem::take(&mut views[index]))
        })
        .collect())
}

/// Validates fresh renders of the selected environments, or the manifests in `args.paths`.
pub fn run(session: &Session, project: Option<&Project>, args: &ValidateArgs) -> Result<Outcome> {
    let today = match &args.today {
        Some(text) => Date::parse(text)
            .with_context(|| format!("`--today {text}` is not a date like 2027-03-31"))?,
        None => Date::today(),
    };
    let policy = Policy::embedded();
    let waivers = load_waivers(project, args)?;
    let settings = Settings {
        policy,
        file_waivers: &waivers,
        ignore_waivers: args.no_waivers,
        today,
    };
    let report = if args.paths.is_empty() {
        let project = project
            .context("no project to render; pass manifest PATHS or run inside a daactl project")?;
        let (specs, rendered) = load_and_render(project, &args.selection)?;
        let parity = parity_views(session, project, args, &rendered)?;
        check_renders(&specs, rendered, &parity, &settings)?
    } else {
        let [name] = args.selection.environments.as_slice() else {
            bail!(
                "error: checking manifest PATHS needs exactly one `--env`, whose policy parameters apply\n  hint: daactl validate --env staging {}",
                args.paths[0].display()
            );
        };
        let env = policy.environment(name)?;
        let version = match (&args.kubernetes_version, project) {
            (Some(version), _) => version.clone(),
            (None, Some(project)) => match project.load_specs(std::slice::from_ref(name)) {
                Ok(specs) => specs[0].environment.cluster.kubernetes_version.clone(),
                Err(_) => bail!(
                    "error: no valid spec for environment `{name}` to take the Kubernetes version from\n  hint: pass `--kubernetes-version 1.33`"
                ),
            },
            (None, None) => bail!(
                "error: which Kubernetes version are these manifests for?\n  hint: pass `--kubernetes-version 1.33`, or run inside a daactl project"
            ),
        };
        Catalog::embedded()
            .version(&version)
            .context("`--kubernetes-version`")?;
        let cwd = std::env::current_dir().context("reading the current folder")?;
        let set = ManifestSet::load(&args.paths, &cwd)?;
        engine::validate(
            &[Target {
                set: &set,
                env,
                kubernetes_version: &version,
                spec_file: None,
                parity: None,
                terraform: None,
            }],
            &settings,
        )
    };
    let text = match args.format {
        ValidateFormat::Human => format::human::render(&report),
        ValidateFormat::Json => format::json(&report),
        ValidateFormat::Sarif => format::sarif::render(&report),
        ValidateFormat::Junit => format::junit::render(&report),
        ValidateFormat::Github => format::github::render(&report),
        ValidateFormat::Markdown => format::matrix::render(&report),
    };
    write_stdout(text.as_bytes())?;
    let threshold = match args.fail_on {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::None => None,
    };
    if report.fails(threshold, args.deny_unknown) {
        let failing = report.findings().filter(|f| !f.is_waived()).count();
        progress(session, &format!("validate: {failing} failing finding(s)"));
        Ok(Outcome::Findings)
    } else {
        Ok(Outcome::Success)
    }
}

/// Validates fresh renders as `daactl validate` does: each environment with the Argo CD
/// objects that deploy it (`rendered/gitops/`, so REQ-T217/T219/T244 are judged on what is
/// committed), its Terraform and its parity view. `specs`, `rendered` and `parity` are in the
/// same order.
pub fn check_renders(
    specs: &[Spec],
    rendered: Vec<Rendered>,
    parity: &[Option<EnvironmentParity>],
    settings: &Settings<'_>,
) -> Result<Report> {
    let gitops_dir = format!("{RENDERED_DIR}/{}", gitops::TREE);
    let sets: Vec<ManifestSet> = specs
        .iter()
        .zip(rendered)
        .map(|(spec, r)| {
            let delivery = gitops::resources(&spec.environment, &r);
            let mut set = ManifestSet::from_rendered(r, RENDERED_DIR);
            set.extend_rendered(&gitops_dir, delivery);
            set
        })
        .collect();
    // Each cloud environment's Terraform, as `daactl render` commits it.
    let documents: Vec<Option<TerraformSource>> = specs
        .iter()
        .map(|spec| {
            terraform::document(&spec.environment).map(|doc| {
                TerraformSource::rendered(
                    terraform::path(RENDERED_DIR, &spec.environment.name),
                    doc,
                )
            })
        })
        .collect();
    let mut targets = Vec::new();
    for (((spec, set), parity), document) in specs.iter().zip(&sets).zip(parity).zip(&documents) {
        Catalog::embedded()
            .version(&spec.environment.cluster.kubernetes_version)
            .with_context(|| format!("{}: `cluster.kubernetes_version`", spec.file))?;
        targets.push(Target {
            set,
            env: settings.policy.environment(&spec.environment.name)?,
            kubernetes_version: &spec.environment.cluster.kubernetes_version,
            spec_file: Some(&spec.file),
            parity: parity.as_ref(),
            terraform: document.as_ref(),
        });
    }
    Ok(engine::validate(&targets, settings))
}

/// The waivers of the project's waiver file, if it has one.
pub fn project_waivers(project: &Project) -> Result<Vec<Waiver>> {
    let path = project.root.join(waiver::WAIVER_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    Ok(waiver::read_file(&path, waiver::WAIVER_FILE)?)
}

fn load_waivers(project: Option<&Project>, args: &ValidateArgs) -> Result<Vec<Waiver>> {
    if args.no_waivers {
        return Ok(Vec::new());
    }
    if let Some(path) = &args.waivers {
        return Ok(waiver::read_file(path, &path.display().to_string())?);
    }
    // The project's waivers are about its own environments; manifests named on the
    // command line get only the waivers named with `--waivers`.
    match project.filter(|_| args.paths.is_empty()) {
        Some(project) => project_waivers(project),
        None => Ok(Vec::new()),
    }
}

/// `daactl rules`.
pub fn rules(format: RulesFormat) -> Result<Outcome> {
    let text = match format {
        RulesFormat::Human => explain::rules_table(),
        RulesFormat::Json => explain::rules_json(),
        RulesFormat::Markdown => explain::rules_markdown(),
    };
    write_stdout(text.as_bytes())?;
    Ok(Outcome::Success)
}

/// `daactl explain`.
pub fn explain(id: &str) -> Result<Outcome> {
    let text = if id.to_uppercase().starts_with("REQ-") {
        explain::requirement(id)
    } else {
        explain::rule(id)
    };
    match text {
        Some(text) => {
            write_stdout(text.as_bytes())?;
            Ok(Outcome::Success)
        }
        None => bail!(
            "error: no rule or requirement `{id}`\n  hint: `daactl rules` lists every rule code (like `K206-2`) and requirement (like `REQ-T206`)"
        ),
    }
}
