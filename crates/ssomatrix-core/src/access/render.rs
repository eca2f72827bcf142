//! The access report as CSV (RFC 4180, for spreadsheets), JSON (for tools)
//! and one HTML page (for people). All list the same rows in the same order.

use std::borrow::Cow;

use super::{AccessReport, AccessRow};

pub use super::html::html;

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 11] = [
    "user",
    "user_id",
    "via",
    "account_id",
    "account_name",
    "ou_path",
    "permission_set",
    "rule",
    "owner",
    "expires",
    "status",
];

/// One row's cells, in [`CSV_COLUMNS`] order: what the CSV writes and what
/// the HTML report shows. Borrowed from the row where it holds the text.
pub fn cells(row: &AccessRow) -> [Cow<'_, str>; 11] {
    [
        text(&row.user),
        Cow::Borrowed(&row.user_id),
        Cow::Borrowed(&row.via),
        Cow::Borrowed(&row.account_id),
        Cow::Borrowed(&row.account_name),
        Cow::Borrowed(&row.ou_path),
        Cow::Borrowed(&row.permission_set),
        Cow::Owned(row.rule_label()),
        text(&row.owner),
        row.expires
            .map(|d| Cow::Owned(d.to_string()))
            .unwrap_or_default(),
        Cow::Borrowed(row.status.as_str()),
    ]
}

/// Optional text, empty when absent.
fn text(s: &Option<super::Shared>) -> Cow<'_, str> {
    Cow::Borrowed(s.as_deref().unwrap_or_default())
}

/// The first characters that make a spreadsheet read a cell as a formula
/// (OWASP, "CSV Injection"): a name that begins with one must not run
/// when an auditor opens the report.
pub const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A field as the CSV writes it: with a leading `'` (the spreadsheets'
/// mark for text, as OWASP advises) when it begins with a character of
/// [`FORMULA_START`], then quoted as RFC 4180 asks when it holds a comma,
/// a quote or a line break (a quote doubled inside).
fn field(s: &str) -> Cow<'_, str> {
    let s: Cow<'_, str> = if s.starts_with(FORMULA_START) {
        format!("'{s}").into()
    } else {
        s.into()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s
    }
}

/// The report as CSV: a header line, then one line per row, each ended by
/// CRLF as RFC 4180 specifies.
pub fn csv(report: &AccessReport) -> String {
    let mut out = String::with_capacity(64 * (report.rows.len() + 1));
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        for c in cells {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&field(c));
        }
        out.push_str("\r\n");
    };
    line(&mut CSV_COLUMNS.iter().copied());
    for row in &report.rows {
        let c = cells(row);
        line(&mut c.iter().map(|cell| &**cell));
    }
    out
}

/// The report as pretty JSON, with a final newline.
pub fn json(report: &AccessReport) -> String {
    // Plain data: serialising it cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}
