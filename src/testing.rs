//! What the unit and integration tests build by hand (not part of the interface): environments shaped like the
//! repository's (namespaces `<env>` for the `app` role and `<env>-data` for `data`).

use serde_json::Value;

use crate::render::{Rendered, Resource};

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
