//! An environment's Terraform document as the policy rules see it: the JSON value, the file
//! findings point at (`rendered/terraform/<env>/main.tf.json`), and its blocks by address.
//!
//! A finding inside it names a block address (`aws_eks_cluster.main`) and a JSON pointer;
//! the line and column are found in the document's text only when a finding needs them.

use std::sync::OnceLock;

use serde_json::Value;

/// One Terraform JSON document.
#[derive(Debug)]
pub struct TerraformSource {
    /// The file as shown to users, relative to the project.
    pub path: String,
    /// The document.
    pub value: Value,
    /// Its text, produced from the value for a fresh render, or as read from disk.
    text: OnceLock<String>,
}

/// A `resource` or `data` block of a document.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// `resource` or `data`.
    pub section: &'static str,
    /// Its type, such as `aws_eks_cluster`.
    pub kind: &'a str,
    /// Its name, such as `main`.
    pub name: &'a str,
    /// Its body.
    pub body: &'a Value,
}

impl Block<'_> {
    /// `type.name`, as Terraform addresses a resource.
    pub fn address(&self) -> String {
        match self.section {
            "data" => format!("data.{}.{}", self.kind, self.name),
            _ => format!("{}.{}", self.kind, self.name),
        }
    }

    /// The JSON pointer of `path` (slash-separated, unescaped keys) inside the block.
    pub fn pointer(&self, path: &str) -> String {
        let mut pointer = format!("/{}/{}/{}", self.section, self.kind, self.name);
        if !path.is_empty() {
            pointer.push('/');
            pointer.push_str(path);
        }
        pointer
    }
}

impl TerraformSource {
    /// A freshly built document, committed at `path`.
    pub fn rendered(path: String, value: Value) -> Self {
        Self {
            path,
            value,
            text: OnceLock::new(),
        }
    }

    /// A document read from disk; an error when the text is not JSON.
    pub fn read(path: String, text: String) -> Result<Self, serde_json::Error> {
        let value = serde_json::from_str(&text)?;
        Ok(Self {
            path,
            value,
            text: OnceLock::from(text),
        })
    }

    /// Its text.
    pub fn text(&self) -> &str {
        self.text
            .get_or_init(|| crate::terraform::to_text(&self.value))
    }

    /// The 1-based line and column of `pointer` (the nearest present ancestor when absent).
    pub fn locate(&self, pointer: &str) -> (usize, usize) {
        crate::yaml::locate_json(self.text(), pointer).unwrap_or((1, 1))
    }

    /// The managed resources of type `kind`.
    pub fn resources<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = Block<'a>> + 'a {
        self.value["resource"][kind]
            .as_object()
            .into_iter()
            .flatten()
            .map(move |(name, body)| Block {
                section: "resource",
                kind,
                name,
                body,
            })
    }

    /// The data sources of type `kind`.
    pub fn data<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = Block<'a>> + 'a {
        self.value["data"][kind]
            .as_object()
            .into_iter()
            .flatten()
            .map(move |(name, body)| Block {
                section: "data",
                kind,
                name,
                body,
            })
    }

    /// The resource at `address` (`type.name`).
    pub fn resource(&self, address: &str) -> Option<Block<'_>> {
        let (kind, name) = address.split_once('.')?;
        let (kind, body) = self.value["resource"].as_object()?.get_key_value(kind)?;
        let (name, body) = body.as_object()?.get_key_value(name)?;
        Some(Block {
            section: "resource",
            kind: kind.as_str(),
            name: name.as_str(),
            body,
        })
    }
}
