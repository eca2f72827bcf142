//! `explain`: why one user or group can reach what it can, path by path.

use std::process::ExitCode;

use ssomatrix_core::access::explain::{ExplainQuery, NotLive, explain_group, explain_user};
use ssomatrix_core::access::{self, AccessFilter};
use ssomatrix_core::ids::PrincipalType;

use crate::cli::ExplainArgs;
use crate::output;
use crate::source::Source;
use crate::steps::{load_config, read_live_with_members, read_more_members, today};

pub async fn explain(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config)?;
    let source = Source::open(&args.source).await?;
    let (live, members) = read_live_with_members(&source, &args.source, &config).await?;
    let narrowing = AccessFilter {
        accounts: args.account.iter().cloned().collect(),
        permission_sets: args.permission_set.iter().cloned().collect(),
        ..AccessFilter::default()
    };
    let unknown = narrowing.unknown(&live);
    if !unknown.is_empty() {
        anyhow::bail!("{}", unknown.join("\n"));
    }
    let (principal, kind) = match (args.user, args.group) {
        (Some(u), _) => (u, PrincipalType::User),
        (None, Some(g)) => (g, PrincipalType::Group),
        (None, None) => {
            anyhow::bail!("name a user (--user NAME) or a group (--group NAME) to explain")
        }
    };
    let query = ExplainQuery {
        principal,
        account: args.account,
        permission_set: args.permission_set,
    };
    let today = today()?;
    let (judged, pending) = access::judge_all(&config, &live, today);
    let pending_groups = (pending.iter())
        .filter(|p| p.assignment.principal_type == PrincipalType::Group)
        .map(|p| p.assignment.principal_id.clone())
        .collect();
    let mut members = members;
    read_more_members(&source, &args.source, &live, pending_groups, &mut members).await?;
    let not_live = NotLive {
        pending: &pending,
        live: &live,
        memberships: &members,
    };
    let text = match kind {
        PrincipalType::User => {
            let report = access::access(&config, &live, &members, today);
            let by_user = AccessFilter {
                users: vec![query.principal.clone()],
                ..AccessFilter::default()
            };
            for note in by_user.without_access(&report) {
                tracing::warn!("{note}");
            }
            explain_user(&report, &config, &query, &not_live)
        }
        PrincipalType::Group => explain_group(&judged, &query, &not_live),
    };
    output::stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
