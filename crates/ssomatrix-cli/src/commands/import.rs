//! `import`: the live state as an assignments file of few rules, verified
//! by planning it before anything is written.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context, bail};
use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::import::{ImportOptions, ImportReport, import as import_live};

use crate::cli::ImportArgs;
use crate::files::{Named, check_outputs, write_atomic};
use crate::output;
use crate::source::Source;
use crate::steps::{read_live_sets, today};

/// User exceptions expire this many days after today unless `--expires`.
const DEFAULT_EXPIRY_DAYS: i64 = 90;

pub async fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let mut inputs = Vec::new();
    if let Some(path) = &args.source.snapshot {
        inputs.push(Named::new("the snapshot (--snapshot)", path));
    }
    let outputs: Vec<Named<'_>> = args
        .out
        .iter()
        .map(|p| Named::new("--out", p))
        .chain(args.report.iter().map(|p| Named::new("--report", p)))
        .collect();
    check_outputs(&inputs, &outputs)?;
    if let Some(path) = args.out.as_ref().filter(|p| p.exists() && !args.force) {
        bail!(
            "--out {} exists; import never replaces an assignments file unasked: pass --force or choose another path",
            path.display()
        );
    }
    let today = today()?;
    let expires = match &args.expires {
        Some(s) => Date::parse(s).map_err(|e| anyhow::anyhow!("--expires: {e}"))?,
        None => Date::from_days_since_epoch(today.days_since_epoch() + DEFAULT_EXPIRY_DAYS),
    };
    // A file of no rules: the reader is asked for every permission set's
    // assignments anyway (`all_sets`), since the file is to own them all.
    let everything = Config::parse("import", &reading_scope(args.instance_arn.as_deref())?)
        .map_err(|e| anyhow::anyhow!("the reading scope does not parse: {e}"))?;
    let source = Source::open(&args.source).await?;
    let live = read_live_sets(&source, &args.source, &everything, true).await?;
    let described = match &args.source.snapshot {
        Some(path) => format!("snapshot {}", path.display()),
        None => format!("AWS instance {}", live.instance_arn),
    };
    let options = ImportOptions {
        exclude: args.exclude.clone(),
        owner: args.owner.clone(),
        expires,
        today,
        source: described,
    };
    let imported = import_live(&live, &options)?;
    report(&imported.report);
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&imported.report)
            .context("cannot write the import report as JSON")?;
        write_atomic(path, &format!("{json}\n"))?;
    }
    match &args.out {
        Some(path) => {
            write_atomic(path, &imported.text)?;
            errln!("wrote {}", path.display());
        }
        None => output::stdout(&imported.text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The file of no rules that import reads with, pinned to `--instance-arn`
/// when given (checked first, so a typo is named as the flag's).
fn reading_scope(instance_arn: Option<&str>) -> anyhow::Result<String> {
    let mut text = String::from("version: 1\nassignments: []\n");
    if let Some(arn) = instance_arn {
        let arn = InstanceArn::typed(arn).map_err(|e| anyhow::anyhow!("--instance-arn: {e}"))?;
        let _ = writeln!(text, "instance_arn: {arn}");
    }
    Ok(text)
}

fn report(r: &ImportReport) {
    errln!(
        "import: {} rules cover {} of {} live assignments ({} assignments a rule)",
        r.rules,
        r.assignments_covered,
        r.live_assignments,
        r.compression_ratio
    );
    if !r.user_exceptions.is_empty() {
        errln!(
            "  {} user assignments became exceptions (owner and expires set); review them:",
            r.user_exceptions.len()
        );
        for e in &r.user_exceptions {
            errln!("    {}", ssomatrix_core::escape::visible(e));
        }
    }
    if r.deleted_principal_assignments > 0 {
        errln!(
            "  {} assignments of deleted principals are not in the file: the first plan deletes them",
            r.deleted_principal_assignments
        );
    }
    if r.inactive_account_assignments > 0 {
        errln!(
            "  {} assignments in accounts that are not ACTIVE are not in the file: they are left alone",
            r.inactive_account_assignments
        );
    }
    if !r.excluded_sets.is_empty() {
        errln!(
            "  {} assignments of excluded permission sets are not in the file: {}",
            r.excluded_assignments,
            ssomatrix_core::escape::visible(&r.excluded_sets.join(", "))
        );
    }
}
