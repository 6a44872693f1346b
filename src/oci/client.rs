//! One conversation with a registry about one repository: URLs, timeouts, authentication
//! (anonymous, basic, and the bearer-token challenge of ghcr.io and Docker Hub) and the
//! turning of unexpected answers into [`OciError`]s that name the registry, the request and
//! the status. Credentials and tokens live only in request headers: never in URLs, messages
//! or `Debug` output.

use std::fmt;
use std::io::Read as _;
use std::time::Duration;

use base64::Engine as _;
use ureq::http::{HeaderMap, Method, Request, Response};
use ureq::{Agent, Body};

use super::error::{OciError, shown};
use super::reference::Reference;

/// The variable that holds the registry user name.
pub const USERNAME_VAR: &str = "DAACTL_REGISTRY_USERNAME";
/// The variable that holds the registry password or token.
pub const PASSWORD_VAR: &str = "DAACTL_REGISTRY_PASSWORD";

/// How much of an error or token response is read.
const SMALL_BODY_LIMIT: u64 = 1024 * 1024;

/// A user name and password (or personal access token) for HTTP basic authentication, and
/// for fetching bearer tokens. `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// Credentials from a user name and a password or token.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Reads `DAACTL_REGISTRY_USERNAME` and `DAACTL_REGISTRY_PASSWORD`: `None` when neither
    /// is set (or both are empty), an error when only one is.
    pub fn from_env() -> Result<Option<Credentials>, OciError> {
        let read = |name| std::env::var(name).ok();
        Credentials::from_values(read(USERNAME_VAR), read(PASSWORD_VAR))
    }

    /// [`Credentials::from_env`] on the two variables' values.
    pub(crate) fn from_values(
        username: Option<String>,
        password: Option<String>,
    ) -> Result<Option<Credentials>, OciError> {
        let set = |v: Option<String>| v.filter(|v| !v.is_empty());
        match (set(username), set(password)) {
            (Some(username), Some(password)) => Ok(Some(Credentials { username, password })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(OciError::Credentials {
                set: USERNAME_VAR,
                missing: PASSWORD_VAR,
            }),
            (None, Some(_)) => Err(OciError::Credentials {
                set: PASSWORD_VAR,
                missing: USERNAME_VAR,
            }),
        }
    }

    /// The `Authorization` header value for basic authentication.
    fn basic(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &"<redacted>")
            .field("password", &"<redacted>")
            .finish()
    }
}

/// How a session reaches its registry.
#[derive(Debug, Clone)]
pub(crate) struct Connection<'a> {
    /// Plain HTTP even for a host that is not loopback.
    pub plain_http: bool,
    /// Basic credentials, if any.
    pub credentials: Option<&'a Credentials>,
    /// The limit for each phase of a request and for each read or write.
    pub timeout: Duration,
    /// `pull` or `pull,push`: the token scope to ask for when a challenge names none.
    pub actions: &'static str,
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// No body (GET, HEAD).
    None,
    /// These bytes, with this `Content-Type`.
    Bytes(&'a [u8], &'static str),
}

/// A conversation with one registry about one repository.
pub(crate) struct Session<'a> {
    agent: Agent,
    /// `http://host:port` or `https://host:port`.
    base: String,
    reference: &'a Reference,
    connection: Connection<'a>,
    /// The `Authorization` header value that worked last; never shown.
    authorization: Option<String>,
}

impl fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("base", &self.base)
            .field("reference", &self.reference)
            .field("authorized", &self.authorization.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> Session<'a> {
    /// A session for `reference`'s registry: plain HTTP for loopback hosts or when asked,
    /// HTTPS otherwise.
    pub fn new(reference: &'a Reference, connection: Connection<'a>) -> Session<'a> {
        let scheme = if connection.plain_http || reference.is_loopback() {
            "http"
        } else {
            "https"
        };
        let timeout = Some(connection.timeout);
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(concat!("daactl/", env!("CARGO_PKG_VERSION")))
            .timeout_resolve(timeout)
            .timeout_connect(timeout)
            .timeout_send_request(timeout)
            .timeout_recv_response(timeout)
            .timeout_per_read(timeout)
            .timeout_per_write(timeout)
            .build();
        Session {
            agent: Agent::new_with_config(config),
            base: format!("{scheme}://{}", reference.registry()),
            reference,
            connection,
            authorization: None,
        }
    }

    /// The reference this session is about.
    pub fn reference(&self) -> &Reference {
        self.reference
    }

    /// `https://host/v2/<repository>/<rest>`.
    pub fn url(&self, rest: &str) -> String {
        format!("{}/v2/{}/{rest}", self.base, self.reference.repository())
    }

    /// Resolves a `Location` header against the registry.
    pub fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            format!("{}/{location}", self.base)
        }
    }

    /// `GET /v2/…`: the method and the URL's path, without the query (upload URLs carry
    /// opaque state) and without the host when it is the registry's.
    pub fn describe(&self, method: &Method, url: &str) -> String {
        let shown_url = url.strip_prefix(&self.base).unwrap_or(url);
        let shown_url = shown_url.split('?').next().unwrap_or(shown_url);
        format!("{method} {shown_url}")
    }

    /// An [`OciError::Transport`] or [`OciError::Protocol`] for this registry.
    pub fn protocol(&self, request: &str, reason: impl Into<String>) -> OciError {
        OciError::Protocol {
            registry: self.reference.registry().to_owned(),
            request: request.to_owned(),
            reason: reason.into(),
        }
    }

    /// Sends a request, answering one authentication challenge (a 401 with
    /// `WWW-Authenticate`) by getting credentials or a token and sending it again.
    /// Any status comes back as a response; only transport failures are errors.
    pub fn send(
        &mut self,
        method: Method,
        url: &str,
        accept: Option<&str>,
        payload: Payload<'_>,
    ) -> Result<Response<Body>, OciError> {
        let response = self.send_once(&method, url, accept, payload)?;
        if response.status() != 401 || !self.is_registry(url) {
            return Ok(response);
        }
        let challenges: Vec<String> = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        match self.answer_challenge(&challenges)? {
            Some(authorization) if self.authorization.as_ref() != Some(&authorization) => {
                self.authorization = Some(authorization);
                self.send_once(&method, url, accept, payload)
            }
            _ => Ok(response),
        }
    }

    /// Whether `url` is on the registry itself, and so may carry its `Authorization`.
    fn is_registry(&self, url: &str) -> bool {
        url.strip_prefix(&self.base)
            .is_some_and(|rest| rest.starts_with('/'))
    }

    /// One HTTP exchange, with the session's `Authorization` when the URL is the registry's.
    fn send_once(
        &self,
        method: &Method,
        url: &str,
        accept: Option<&str>,
        payload: Payload<'_>,
    ) -> Result<Response<Body>, OciError> {
        let request = self.describe(method, url);
        let mut builder = Request::builder().method(method.clone()).uri(url);
        if let Some(accept) = accept {
            builder = builder.header("Accept", accept);
        }
        if let (Some(authorization), true) = (&self.authorization, self.is_registry(url)) {
            builder = builder.header("Authorization", authorization);
        }
        let result = match payload {
            Payload::None => builder.body(()).map(|r| self.agent.run(r)),
            Payload::Bytes(bytes, content_type) => builder
                .header("Content-Type", content_type)
                .body(bytes)
                .map(|r| self.agent.run(r)),
        };
        match result {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(error)) => Err(self.transport(&request, &error)),
            Err(error) => {
                Err(self.protocol(&request, format!("cannot build the request: {error}")))
            }
        }
    }

    /// An [`OciError::Transport`] for this registry.
    pub fn transport(&self, request: &str, error: &ureq::Error) -> OciError {
        OciError::Transport {
            registry: self.reference.registry().to_owned(),
            request: request.to_owned(),
            message: error.to_string(),
        }
    }

    /// The `Authorization` value that answers the first challenge daactl understands, or
    /// `None` when it has nothing better to offer than what it sent.
    fn answer_challenge(&self, challenges: &[String]) -> Result<Option<String>, OciError> {
        let parsed: Vec<Challenge> = challenges
            .iter()
            .filter_map(|c| parse_challenge(c))
            .collect();
        if let Some(bearer) = parsed
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        {
            return self.fetch_token(bearer).map(Some);
        }
        if parsed
            .iter()
            .any(|c| c.scheme.eq_ignore_ascii_case("basic"))
        {
            return Ok(self.connection.credentials.map(Credentials::basic));
        }
        Ok(None)
    }

    /// Fetches a bearer token from the challenge's realm (with the basic credentials, if
    /// any, when the realm is HTTPS or the registry itself is plain HTTP).
    fn fetch_token(&self, challenge: &Challenge) -> Result<String, OciError> {
        let realm = challenge.param("realm").unwrap_or_default();
        let request = format!("GET {} (token)", realm.split('?').next().unwrap_or(realm));
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(self.protocol(
                &request,
                format!(
                    "the bearer challenge's realm `{}` is not an HTTP(S) URL",
                    shown(realm)
                ),
            ));
        }
        let default_scope = format!(
            "repository:{}:{}",
            self.reference.repository(),
            self.connection.actions
        );
        let scope = challenge.param("scope").unwrap_or(&default_scope);
        let mut builder = self.agent.get(realm).query("scope", scope);
        if let Some(service) = challenge.param("service") {
            builder = builder.query("service", service);
        }
        let may_send_credentials =
            realm.starts_with("https://") || self.base.starts_with("http://");
        if let (Some(credentials), true) = (self.connection.credentials, may_send_credentials) {
            builder = builder.header("Authorization", credentials.basic());
        }
        let mut response = builder.call().map_err(|e| self.transport(&request, &e))?;
        if response.status() != 200 {
            return Err(self.status_error(&request, &mut response));
        }
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body = read_limited(&mut response, SMALL_BODY_LIMIT)
            .map_err(|e| self.protocol(&request, format!("reading the token: {e}")))?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|e| self.protocol(&request, format!("the token answer is not JSON: {e}")))?;
        let token = answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| self.protocol(&request, "the token answer holds no usable token"))?;
        Ok(format!("Bearer {token}"))
    }

    /// An [`OciError::Http`] for a response with an unexpected status, with the
    /// registry's `errors[].message` when the body has them.
    pub fn status_error(&self, request: &str, response: &mut Response<Body>) -> OciError {
        OciError::Http {
            registry: self.reference.registry().to_owned(),
            request: request.to_owned(),
            status: response.status().as_u16(),
            message: error_messages(response),
        }
    }
}

/// Reads at most `limit` bytes of a body; more is an error.
pub(crate) fn read_limited(response: &mut Response<Body>, limit: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .reader()
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// `manifest unknown (MANIFEST_UNKNOWN); …` from a distribution-spec error body, or empty.
pub(crate) fn error_messages(response: &mut Response<Body>) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let Ok(body) = read_limited(response, SMALL_BODY_LIMIT) else {
        return String::new();
    };
    let Ok(errors) = serde_json::from_slice::<Errors>(&body) else {
        return String::new();
    };
    errors
        .errors
        .iter()
        .map(|e| match (e.message.is_empty(), e.code.is_empty()) {
            (false, false) => format!("{} ({})", shown(&e.message), shown(&e.code)),
            (false, true) => shown(&e.message),
            (true, _) => shown(&e.code),
        })
        .filter(|m| !m.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A header's value as text, if present and printable.
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// One `WWW-Authenticate` challenge: its scheme and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// `Bearer` or `Basic`.
    pub scheme: String,
    /// The `name=value` parameters, values unquoted, in order.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A parameter's value, by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `Bearer realm="https://…",service="…",scope="repository:a:pull,push"`. Quoted
/// values may hold commas and backslash escapes (RFC 9110, section 11.2).
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    if scheme.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ',' && !c.is_whitespace()) {
            name.push(c);
        }
        if name.is_empty() {
            break;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next_if_eq(&'=').is_none() {
            // A token68 or a bare word: nothing daactl uses.
            continue;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',' && !c.is_whitespace()) {
                value.push(c);
            }
        }
        params.push((name, value));
    }
    Some(Challenge {
        scheme: scheme.to_owned(),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenges_with_commas_in_quotes() {
        let challenge = parse_challenge(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/daa:pull,push""#,
        )
        .unwrap();
        assert_eq!(challenge.scheme, "Bearer");
        assert_eq!(challenge.param("realm"), Some("https://ghcr.io/token"));
        assert_eq!(challenge.param("SERVICE"), Some("ghcr.io"));
        assert_eq!(
            challenge.param("scope"),
            Some("repository:acme/daa:pull,push")
        );
    }

    #[test]
    fn parses_unquoted_values_spaces_and_escapes() {
        let challenge =
            parse_challenge(r#"Bearer realm = https://auth.example/token , error="a \"b\"""#)
                .unwrap();
        assert_eq!(challenge.param("realm"), Some("https://auth.example/token"));
        assert_eq!(challenge.param("error"), Some(r#"a "b""#));
        let basic = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(basic.scheme, "Basic");
        assert_eq!(basic.param("realm"), Some("Registry Realm"));
        assert_eq!(parse_challenge("   "), None);
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let credentials = Credentials::new("alice", "hunter2");
        let shown = format!("{credentials:?}");
        assert!(
            !shown.contains("alice") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert_eq!(credentials.basic(), "Basic YWxpY2U6aHVudGVyMg==");
    }
}
