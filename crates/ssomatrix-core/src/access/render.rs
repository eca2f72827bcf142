//! The access report as CSV (RFC 4180, for spreadsheets), JSON (for tools)
//! and one HTML page (for people). All list the same rows in the same order.

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
/// the HTML report shows.
pub fn cells(row: &AccessRow) -> [String; 11] {
    [
        row.user.clone().unwrap_or_default(),
        row.user_id.to_string(),
        row.via.clone(),
        row.account_id.to_string(),
        row.account_name.clone(),
        row.ou_path.clone(),
        row.permission_set.clone(),
        row.rule_label(),
        row.owner.clone().unwrap_or_default(),
        row.expires.map(|d| d.to_string()).unwrap_or_default(),
        row.status.as_str().to_owned(),
    ]
}

/// A field quoted as RFC 4180 asks when it holds a comma, a quote or a line
/// break (a quote doubled inside), else as it is.
fn field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
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
        line(&mut c.iter().map(String::as_str));
    }
    out
}

/// The report as pretty JSON, with a final newline.
pub fn json(report: &AccessReport) -> String {
    // Plain data: serialising it cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}
