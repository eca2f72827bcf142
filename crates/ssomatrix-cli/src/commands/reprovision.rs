//! `reprovision`: the owned permission sets left OUT_OF_SYNC brought back,
//! without touching an assignment.

use std::process::ExitCode;

use ssomatrix_engine::executor::{ApplyOptions, ApplyReport, Outcome};
use ssomatrix_engine::reprovision::{self, AccountFacts};

use crate::cli::ReprovisionArgs;
use crate::delegated;
use crate::source::{Source, with_client};
use crate::steps::{load_config, owned_names, read_live};
use crate::summary::summarise;

pub async fn reprovision(args: ReprovisionArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config)?;
    let source = Source::open_writable(&args.source).await?;
    let live = read_live(&source, &args.source, &config).await?;
    let mut owned = owned_names(&config, &live);
    let withheld = delegated::withhold_reprovisioning(&mut owned, &live);
    let budget = source.budget(&args.source);
    let mut provisioned = with_client!(&source, budget, |client| {
        reprovision::reprovision(
            &client,
            &live.instance_arn,
            &owned,
            &AccountFacts::from_live(&live),
            &ApplyOptions::default(),
        )
        .await
        .map_err(|e| source.explain(e.into()))?
    });
    source.save()?;
    delegated::explain_access_denied(&live, &mut ApplyReport::default(), &mut provisioned);
    provisioned.extend(withheld);
    summarise(&ApplyReport::default(), &provisioned, &live);
    let ok = provisioned.iter().all(|p| p.outcome == Outcome::Succeeded);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
