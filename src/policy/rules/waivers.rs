//! Rules about waivers themselves. The engine applies them while it matches waivers to
//! findings (see [`crate::policy::engine`]); these are their metadata.

use crate::policy::rule::RuleMeta;

/// A waiver with no real reason, no owner or expiry (file waivers), or an unknown code.
pub static INVALID_WAIVER: RuleMeta = RuleMeta {
    code: "X001",
    name: "invalid-waiver",
    requirement: "",
    summary: "Every waiver names a rule code and gives a reason (file waivers also an owner and an expiry date)",
    rationale: "An exception nobody can explain or own is a hole, not a decision. Invalid waivers do not apply, so the finding they meant to waive is reported too.",
    remediation: "Write why the finding is accepted (at least 15 characters); in daactl-waivers.toml also `owner` and `expires = YYYY-MM-DD`.",
    peers: &["ruff:RUF100", "checkov:skip comments"],
};

/// A waiver past its expiry date.
pub static EXPIRED_WAIVER: RuleMeta = RuleMeta {
    code: "X002",
    name: "expired-waiver",
    requirement: "",
    summary: "No waiver is past its expiry date",
    rationale: "Exceptions are granted for a time; an expired one no longer applies, so its finding is reported again and the waiver must be renewed with a fresh reason or removed.",
    remediation: "Fix the finding and delete the waiver, or renew it: update the reason and move `expires` forward.",
    peers: &[],
};

/// A waiver that matched no finding.
pub static UNUSED_WAIVER: RuleMeta = RuleMeta {
    code: "X003",
    name: "unused-waiver",
    requirement: "",
    summary: "Every waiver matches at least one finding",
    rationale: "A waiver that matches nothing hides the next real finding of its rule without anyone deciding so (Ruff's RUF100 unused-noqa).",
    remediation: "Delete the waiver, or narrow its selector to the object it was meant for.",
    peers: &["ruff:RUF100"],
};
