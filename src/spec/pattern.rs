//! Regular expressions for spec strings, shared by the JSON Schema and the validator so the
//! editor and `daactl` accept exactly the same values.

/// An RFC 1035 label: Kubernetes names of namespaces, services and most objects.
pub const DNS_LABEL: &str = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";
/// A Kubernetes minor version such as `1.33`.
pub const KUBERNETES_VERSION: &str = r"^1\.[0-9]+$";
/// A Kubernetes resource quantity such as `250m`, `2`, `512Mi`.
pub const QUANTITY: &str = r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$";
/// An OCI image tag.
pub const IMAGE_TAG: &str = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$";
/// An OCI image digest; only SHA-256 is accepted.
pub const IMAGE_DIGEST: &str = r"^sha256:[0-9a-f]{64}$";
/// A POSIX environment variable name, which is also a valid ConfigMap key.
pub const ENV_NAME: &str = r"^[A-Za-z_][A-Za-z0-9_]*$";
/// A Go duration such as `1h` or `15m30s`.
pub const DURATION: &str = r"^([0-9]+(ms|s|m|h))+$";
/// A CloudNativePG retention policy such as `30d`.
pub const RETENTION: &str = r"^[1-9][0-9]*[dwm]$";
/// A Kubernetes label value: at most 63 characters, alphanumeric at both ends.
pub const LABEL_VALUE: &str = r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$";
/// An AWS account id: twelve digits.
pub const AWS_ACCOUNT_ID: &str = r"^[0-9]{12}$";
/// An IPv4 network in CIDR notation, such as `10.0.0.0/16`.
pub const IPV4_CIDR: &str = r"^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$";
/// A fully qualified host name such as `api.daa.example.com`: DNS labels joined by dots.
pub const HOST_NAME: &str =
    r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";
/// A protobuf duration in seconds such as `15s` or `0.5s`, as Istio's fields take it.
pub const PROTO_DURATION: &str = r"^[0-9]+(\.[0-9]{1,9})?s$";
