//! The plan's fingerprint: a digest of the live state it was computed from,
//! so that a saved plan can be refused once the instance has moved on.

use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::ids::PrincipalId;
use crate::live::LiveState;
use crate::scope::principal_names;

/// SHA-256 over what the plan depends on in the live state: the accounts
/// (state and place), the principals the file names, the permission sets, and
/// the live assignments that were read.
pub fn fingerprint(config: &Config, live: &LiveState) -> String {
    let mut h = Sha256::new();
    let mut line = |parts: &[&str]| {
        h.update(parts.join("\t").as_bytes());
        h.update(b"\n");
    };
    line(&["instance", live.instance_arn.as_str()]);
    if live.org.is_partial() {
        // A partial state is never the state of a whole plan, even when it
        // happens to hold every account.
        line(&["partial"]);
    }
    for a in live.org.accounts() {
        line(&[
            "account",
            a.id.as_str(),
            a.state.as_str(),
            a.parent.as_str(),
            &a.name,
        ]);
        if config.uses_account_tags() {
            for (k, v) in &a.tags {
                line(&["tag", a.id.as_str(), k, v]);
            }
        }
    }
    for ou in live.org.ous() {
        line(&["ou", ou.id.as_str(), ou.parent.as_str(), &ou.name]);
    }
    for (arn, name) in &live.permission_sets {
        line(&["permission_set", arn.as_str(), name]);
    }
    for (kind, name) in principal_names(config) {
        let id = live
            .principals
            .id_of(kind, &name)
            .map(PrincipalId::as_str)
            .unwrap_or("");
        line(&["principal", kind.as_str(), &name, id]);
    }
    for ps in &live.read_permission_sets {
        line(&["read", ps.as_str()]);
    }
    for a in &live.assignments {
        let deleted = if live
            .principals
            .is_deleted(a.principal_type, &a.principal_id)
        {
            "deleted"
        } else {
            ""
        };
        line(&[
            "assignment",
            a.account_id.as_str(),
            a.permission_set_arn.as_str(),
            a.principal_type.as_str(),
            a.principal_id.as_str(),
            deleted,
        ]);
    }
    let digest = h.finalize();
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    })
}
