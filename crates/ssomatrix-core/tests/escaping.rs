//! Names are data, never markup: whatever an account, OU, group, user or
//! permission set name holds (newlines, escape bytes, bidi controls,
//! Markdown, HTML), every renderer keeps the structure it has for a plain
//! name. Property tests put generated names (arbitrary Unicode, controls and
//! Markdown punctuation) into every name of a real plan and drift report and
//! check structural invariants of every output; named cases replay the
//! attacks of issue 10.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::drift::{self, DriftReport, Finding};
use ssomatrix_core::escape::is_hidden;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{self, Plan};
use ssomatrix_core::render::{self, GITHUB_COMMENT_LIMIT, TextStyle};
use ssomatrix_core::snapshot::Snapshot;

const TODAY: &str = "2026-11-24";

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The example organisation, with every account, group, user and permission
/// set name wrapped in `name` (`{name}{old}{name}`): names stay unique.
fn example(name: &str) -> (Plan, DriftReport, LiveState) {
    let snapshot =
        Snapshot::parse("org.snapshot.yaml", &read("examples/org.snapshot.yaml")).unwrap();
    let config = Config::parse(
        "assignments.example.yaml",
        &read("assignments.example.yaml"),
    )
    .unwrap();
    let today = Date::parse(TODAY).unwrap();
    let live = snapshot.to_live_state().unwrap();
    let mut plan = plan::plan(&config, &live, today).unwrap();
    let mut report = drift::drift(&config, &live, today, plan::EXPIRY_WARNING_DAYS);

    let wrap = |s: &mut String| *s = format!("{name}{s}{name}");
    let mut renamed = snapshot.clone();
    renamed
        .organization
        .accounts
        .iter_mut()
        .for_each(|a| wrap(&mut a.name));
    renamed.groups.iter_mut().for_each(|g| wrap(&mut g.name));
    renamed.users.iter_mut().for_each(|u| wrap(&mut u.name));
    renamed
        .permission_sets
        .iter_mut()
        .for_each(|p| wrap(&mut p.name));
    let live = renamed.to_live_state().unwrap();
    // The people the plan reaches, with the renamed users, sets and accounts.
    let members = ssomatrix_core::members::Memberships::of_snapshot(&renamed);
    let people = plan::people::people(&plan, &live, &members);
    assert!(people.gain > 0 && people.lose > 0, "{people:?}");
    plan.people = Some(people);

    for c in &mut plan.changes {
        wrap(&mut c.account_name);
        wrap(&mut c.permission_set_name);
        c.principal_name.as_mut().map(wrap);
        wrap(&mut c.account_ou_path);
        wrap(&mut c.reason);
    }
    for w in &mut plan.warnings {
        wrap(&mut w.message);
    }
    let findings = |v: &mut Vec<Finding>| {
        for f in v {
            wrap(&mut f.account_name);
            wrap(&mut f.permission_set_name);
            f.principal_name.as_mut().map(wrap);
            wrap(&mut f.account_ou_path);
            wrap(&mut f.detail);
        }
    };
    findings(&mut report.undeclared);
    findings(&mut report.missing);
    findings(&mut report.expired);
    findings(&mut report.deleted_principals);
    findings(&mut report.inactive_accounts);
    for e in &mut report.expiring {
        e.principals.iter_mut().for_each(wrap);
        e.owner.as_mut().map(wrap);
    }
    for o in &mut report.out_of_sync {
        wrap(&mut o.permission_set_name);
        wrap(&mut o.account_name);
    }
    for u in &mut report.unresolved {
        wrap(&mut u.message);
    }
    report.outside_scope.by_permission_set =
        std::mem::take(&mut report.outside_scope.by_permission_set)
            .into_iter()
            .map(|(mut k, v)| {
                wrap(&mut k);
                (k, v)
            })
            .collect();
    (plan, report, live)
}

/// Every output of `example(name)`: (what, text).
fn outputs(name: &str) -> Vec<(&'static str, String)> {
    let (plan, report, live) = example(name);
    let color = TextStyle { color: true };
    vec![
        ("plan text", render::text(&plan, TextStyle::default())),
        ("plan text in colour", render::text(&plan, color)),
        ("plan markdown", render::markdown(&plan, &live)),
        (
            "drift text",
            render::drift::text(&report, TextStyle::default()),
        ),
        ("drift text in colour", render::drift::text(&report, color)),
        ("drift markdown", render::drift::markdown(&report)),
    ]
}

/// Splits a Markdown line into its text outside code spans (CommonMark:
/// a run of n unescaped backticks opens a span that the next run of exactly
/// n closes; an unmatched run is literal).
fn outside_code_spans(line: &str) -> String {
    let b: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let escaped = i > 0 && b[..i].iter().rev().take_while(|&&c| c == '\\').count() % 2 == 1;
        if b[i] != '`' || escaped {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let n = b[i..].iter().take_while(|&&c| c == '`').count();
        let mut j = i + n;
        let mut close = None;
        while j < b.len() {
            if b[j] == '`' {
                let m = b[j..].iter().take_while(|&&c| c == '`').count();
                if m == n {
                    close = Some(j + m);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => i = end,
            None => {
                out.extend(&b[i..i + n]);
                i += n;
            }
        }
    }
    out
}

/// Positions of `c` in `s` not escaped by an odd run of backslashes.
fn unescaped(s: &str, c: char) -> usize {
    let b: Vec<char> = s.chars().collect();
    (0..b.len())
        .filter(|&i| b[i] == c && b[..i].iter().rev().take_while(|&&x| x == '\\').count() % 2 == 0)
        .count()
}

fn is_fence(line: &str) -> bool {
    line.starts_with("```")
}

/// Structural invariants of a Markdown comment or issue body.
fn check_markdown(what: &str, md: &str) {
    assert!(
        md.len() <= GITHUB_COMMENT_LIMIT,
        "{what}: {} bytes",
        md.len()
    );
    let mut fence: Option<String> = None;
    let mut columns: Option<usize> = None;
    for line in md.lines() {
        if let Some(f) = &fence {
            if line == f {
                fence = None;
            } else {
                assert!(
                    ["+ ", "- ", "  ", "@@ "]
                        .iter()
                        .any(|p| line.starts_with(p)),
                    "{what}: a name started a line of a diff block: {line:?}"
                );
                assert!(
                    ssomatrix_core::escape::longest_run(line, '`') < f.len(),
                    "{what}: a line could close the code block: {line:?}"
                );
            }
            continue;
        }
        if is_fence(line) {
            assert!(
                line.ends_with("diff") && line.trim_end_matches("diff").chars().all(|c| c == '`'),
                "{what}: a fence that is not ours: {line:?}"
            );
            fence = Some(line.trim_end_matches("diff").to_owned());
            continue;
        }
        if line.starts_with('|') {
            let n = unescaped(line, '|');
            match columns {
                None => columns = Some(n),
                Some(c) => assert_eq!(n, c, "{what}: a row changed its cell count: {line:?}"),
            }
        } else {
            columns = None;
        }
        if line.starts_with('#') {
            assert!(
                line.starts_with("### ssomatrix ") || line.starts_with("#### "),
                "{what}: a heading that is not ours: {line:?}"
            );
        }
        let text = outside_code_spans(line);
        let chars: Vec<char> = text.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let rest: String = chars[i..].iter().take(8).collect();
            match c {
                '@' => assert!(
                    (i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
                        || rest.starts_with("@&#8203;"),
                    "{what}: `@` may start a mention: {line:?}"
                ),
                '&' => assert!(
                    ["&lt;", "&gt;", "&amp;", "&#8203;"]
                        .iter()
                        .any(|e| rest.starts_with(e)),
                    "{what}: a raw `&`: {line:?}"
                ),
                '<' => assert!(
                    [
                        "<details",
                        "</details>",
                        "<summary>",
                        "</summary>",
                        "<sub>",
                        "</sub>",
                        "<!-- ssomatrix-"
                    ]
                    .iter()
                    .any(|t| chars[i..].iter().collect::<String>().starts_with(t)),
                    "{what}: raw HTML from a name: {line:?}"
                ),
                _ => {}
            }
        }
        assert!(!text.contains("!["), "{what}: an image: {line:?}");
        assert_eq!(unescaped(&text, '~'), 0, "{what}: strikethrough: {line:?}");
        // Our own bold is `**…**`; a name's `*` is escaped, and a name's `_`
        // is escaped unless a letter or digit before it keeps it from
        // opening emphasis.
        let stars = unescaped(&text, '*');
        assert!(
            stars == 2 * text.matches("**").count(),
            "{what}: emphasis from a name: {line:?}"
        );
        for (i, &c) in chars.iter().enumerate() {
            let escaped = chars[..i].iter().rev().take_while(|&&x| x == '\\').count() % 2 == 1;
            if c == '_' && !escaped {
                assert!(
                    i > 0 && chars[i - 1].is_alphanumeric(),
                    "{what}: `_` may open emphasis: {line:?}"
                );
            }
        }
        assert!(
            !text.contains("://") && !text.to_ascii_lowercase().contains(" www."),
            "{what}: an autolink: {line:?}"
        );
        let brackets = unescaped(&text, '[');
        assert!(
            brackets == 0 || line.starts_with("> [!NOTE]") || line.starts_with("> [!CAUTION]"),
            "{what}: a link from a name: {line:?}"
        );
    }
    assert!(fence.is_none(), "{what}: a code block is left open");
}

/// The shape of an output: its lines outside code blocks, and the `+` and
/// `-` lines inside them. (The context lines of the access-matrix diff
/// depend on how names sort, which a name may change.)
fn shape(out: &str) -> (usize, usize, usize) {
    let (mut outside, mut plus, mut minus) = (0, 0, 0);
    let mut in_code = false;
    for line in out.lines() {
        if is_fence(line) {
            in_code = !in_code;
        } else if !in_code {
            outside += 1;
        } else if line.starts_with("+ ") {
            plus += 1;
        } else if line.starts_with("- ") {
            minus += 1;
        }
    }
    (outside, plus, minus)
}

/// What every output of every name must hold: compared with the same output
/// for a plain name, the same shape (lines) and as many of our own colour
/// codes, and no raw control character but `\n` and those codes.
fn check_all(name: &str) {
    let plain = outputs("plain");
    for ((what, out), (_, base)) in outputs(name).iter().zip(&plain) {
        // A long name can make a comment too long for GitHub: it is then
        // shortened, and laid out differently.
        let shortened = out.contains("> [!NOTE]") || out.contains("> [!CAUTION]");
        assert!(
            shortened || shape(out) == shape(base),
            "{what}: a name added or removed lines:\n{out}\n\nwith a plain name:\n{base}"
        );
        assert_eq!(
            out.matches('\x1b').count(),
            base.matches('\x1b').count(),
            "{what}: a name wrote an escape sequence"
        );
        if let Some(c) = out
            .chars()
            .find(|&c| c != '\n' && c != '\x1b' && is_hidden(c))
        {
            panic!("{what}: raw {c:?} from a name:\n{out}");
        }
        if what.ends_with("markdown") {
            check_markdown(what, out);
        }
    }
}

/// Names of arbitrary Unicode, biased towards controls and markup.
fn name() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '\n',
        '\r',
        '\t',
        '\x1b',
        '\x08',
        '\x00',
        '\x7f',
        '\u{85}',
        '\u{9b}',
        '\u{202e}',
        '\u{2066}',
        '\u{200b}',
        '\u{200d}',
        '\u{2028}',
        '\u{2029}',
        '\u{feff}',
        '\u{e0041}',
        '|',
        '`',
        '#',
        '@',
        '[',
        ']',
        '(',
        ')',
        '!',
        '<',
        '>',
        '&',
        '*',
        '_',
        '~',
        '\\',
        ':',
        '/',
        'w',
        '.',
        ' ',
        '-',
        '+',
        '=',
    ]);
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        special.prop_map(String::from),
        prop::sample::select(vec![
            "```",
            "\n# No changes. Safe to merge\n",
            "](https://evil.example)",
            "@org/team",
            "www.evil.example",
            "&#64;",
            "<!--",
            "\n| x | y |\n",
            "\r\x1b[2K",
            "\n+ ",
            "\n- ",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 1..6).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_name_changes_the_structure_of_any_output(name in name()) {
        check_all(&name);
    }
}

#[test]
fn a_group_name_cannot_end_the_table_and_say_safe_to_merge() {
    let name = "x |\n\n### No changes. Safe to merge\n\n| a | b |";
    check_all(name);
    let md = &outputs(name)[2].1;
    assert!(!md.lines().any(|l| l.starts_with("### No changes")), "{md}");
    assert!(md.contains("\\| a \\| b \\|"), "the pipes are shown: {md}");
}

#[test]
fn a_name_cannot_open_a_code_fence_that_swallows_the_rest() {
    let name = "\n```\n";
    check_all(name);
    let md = &outputs(name)[2].1;
    assert!(
        md.contains("<details><summary>Changes with reasons"),
        "{md}"
    );
    assert_eq!(md.lines().filter(|l| is_fence(l)).count() % 2, 0, "{md}");
    let name = "````";
    check_all(name);
    let md = &outputs(name)[2].1;
    assert!(
        md.contains("\n`````diff\n"),
        "the fence outgrows the name's run: {md}"
    );
}

#[test]
fn a_carriage_return_cannot_rewrite_a_terminal_line() {
    // On a terminal `\r` would move back to the start of the line and the
    // rest would overwrite the `-` of a delete.
    let name = "\r    \x1b[32m+";
    check_all(name);
    for (what, out) in outputs(name) {
        assert!(!out.contains('\r'), "{what}");
        if what.contains("text") {
            assert!(
                out.contains("\\r    \\x1b[32m+"),
                "{what} shows the escapes:\n{out}"
            );
        }
    }
}

#[test]
fn mentions_links_and_images_do_not_render() {
    let name =
        "@security-team [click](https://evil.example) ![x](https://evil.example/x.png) <img src=x>";
    check_all(name);
    let md = &outputs(name)[2].1;
    assert!(
        md.contains("@&#8203;security-team \\[click\\](https:&#8203;//evil.example)"),
        "{md}"
    );
    assert!(md.contains("&lt;img src=x&gt;"), "{md}");
}

#[test]
fn bidi_and_zero_width_characters_are_shown() {
    let name = "admins\u{202e}nimda\u{200b}";
    check_all(name);
    for (what, out) in outputs(name) {
        assert!(
            out.contains("\\u{202e}") && out.contains("\\u{200b}"),
            "{what}:\n{out}"
        );
    }
}
