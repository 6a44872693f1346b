//! What the unit and integration tests build by hand (not part of the interface): environments shaped like the
//! repository's (namespaces `<env>` for the `app` role and `<env>-data` for `data`).

use serde_json::Value;

use crate::project::Project;
use crate::render::{Rendered, Renderer, Resource, TemplateSet};
use crate::spec::Spec;

/// `value` as a resource of template `t.yaml.j2`; panics without an identity.
pub fn object(value: Value) -> Resource {
    Resource::from_object("t.yaml.j2", value).expect("a test object has apiVersion, kind and name")
}

/// Environment `env` rendering `resources`, with namespaces `<env>` and `<env>-data`.
pub fn render(env: &str, resources: Vec<Resource>) -> Rendered {
    Rendered {
        environment: env.into(),
        namespaces: vec![
            ("app".into(), env.into()),
            ("data".into(), format!("{env}-data")),
        ],
        resources,
    }
}

/// The repository's own environments (`environments/*.toml`), loaded and validated.
pub fn repository_specs() -> Vec<Spec> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    Project::discover(Some(root), root)
        .expect("the repository is a project")
        .load_specs(&[])
        .expect("the repository's specs load")
}

/// The renderer of the templates built into daactl.
pub fn repository_renderer() -> Renderer {
    Renderer::new(TemplateSet::embedded().expect("the templates are embedded"))
        .expect("the templates compile")
}
