//! The HTML access report in a real browser: headless Chromium (Debian's
//! `chromium`, installed by `scripts/setup-chromium.sh`) loads the file from
//! disk, runs its script and dumps the DOM. The rows it shows must be the
//! CSV's, in the CSV's order; typing a filter (given in the address, as the
//! page reads `#q=`) must show exactly the rows that hold every word; sorting
//! by a column must reorder them. A screenshot is kept for a reviewer under
//! the target folder (`test-artifacts/access-report.png`).
//!
//! Without Chromium the test fails, unless `SSOMATRIX_SKIP_CHROMIUM=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{CONFIG, SNAPSHOT, run};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Where the screenshot is kept: `<target>/test-artifacts`, beside the
/// profile folder (`debug`) of the binary under test.
fn artifacts() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_ssomatrix"));
    let dir = bin
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chromium(profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap()
}

/// The DOM after the page's script ran on `url`.
fn dump_dom(profile: &Path, url: &str) -> String {
    let out = chromium(profile, &["--virtual-time-budget=5000", "--dump-dom", url]);
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The cells of the rows of the `#access` table that are not hidden, in
/// document order.
fn shown_rows(dom: &str) -> Vec<Vec<String>> {
    let start = dom.find("<table id=\"access\">").expect("the access table");
    let body = &dom[start..];
    let body = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    body.split("<tr ")
        .skip(1)
        .filter(|tr| !tr[..tr.find('>').unwrap()].contains(" hidden"))
        .map(|tr| {
            tr.split("<td")
                .skip(1)
                .map(|td| {
                    let text = &td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()];
                    unescape(text)
                })
                .collect()
        })
        .collect()
}

/// RFC 4180 records: quoted fields may hold commas, quotes (doubled) and
/// line breaks; records end with CRLF.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the CSV ends with CRLF"
    );
    records
}

#[test]
fn the_html_report_shows_the_csv_rows_filters_and_sorts_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        if std::env::var_os("SSOMATRIX_SKIP_CHROMIUM").is_some() {
            eprintln!("skipped: no {CHROMIUM} and SSOMATRIX_SKIP_CHROMIUM is set");
            return;
        }
        panic!(
            "{CHROMIUM} is missing: run scripts/setup-chromium.sh (or set SSOMATRIX_SKIP_CHROMIUM=1)"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("access.html");
    let csv = run(&["access", "-c", CONFIG, "--snapshot", SNAPSHOT]);
    assert_eq!(csv.code, Some(0), "{csv}");
    let o = run(&[
        "access",
        "-c",
        CONFIG,
        "--snapshot",
        SNAPSHOT,
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{o}");
    let mut records = parse_csv(&csv.stdout);
    let header = records.remove(0);
    assert_eq!(header[0], "user");
    assert!(records.len() > 100, "the example has many accesses");
    let url = format!("file://{}", html.display());
    let profile = dir.path().join("profile");

    // Unfiltered: every CSV row, in its order.
    assert_eq!(shown_rows(&dump_dom(&profile, &url)), records);

    // A filter shows exactly the rows that hold every word it names.
    let words = ["web-prod", "admin"];
    let want: Vec<Vec<String>> = records
        .iter()
        .filter(|r| {
            let text = r.join(" ").to_lowercase();
            words.iter().all(|w| text.contains(w))
        })
        .cloned()
        .collect();
    assert!(
        want.len() >= 5 && want.len() < records.len(),
        "{}",
        want.len()
    );
    let dom = dump_dom(&profile, &format!("{url}#q=web-prod%20Admin"));
    assert_eq!(shown_rows(&dom), want);
    assert!(dom.contains(&format!("<span id=\"shown\">{}</span>", want.len())));
    // The undeclared click-ops Admin stands out.
    assert!(
        dom.contains("<tr class=\"removed undeclared\""),
        "undeclared rows are marked"
    );

    // Sorting by a column orders the rows by it (ties keep the CSV order).
    let mut by_account = records.clone();
    by_account.sort_by(|a, b| b[4].cmp(&a[4]));
    let dom = dump_dom(&profile, &format!("{url}#sort=account_name&desc=1"));
    assert_eq!(shown_rows(&dom), by_account);

    // A screenshot a reviewer can open.
    let shot = artifacts().join("access-report.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium(
        &profile,
        &[
            "--window-size=1400,1800",
            &format!("--screenshot={}", shot.display()),
            &format!("{url}#q=web-prod"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG at {}", shot.display());
    eprintln!("screenshot: {}", shot.display());
}
