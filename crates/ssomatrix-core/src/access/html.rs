//! The access report as one self-contained HTML page: counts at the top, a
//! table that filters as you type and sorts by column, and an account ×
//! permission set view. Everything is inline (no network, no CDN), so the
//! file can be mailed to an auditor and opened anywhere.
//!
//! The rows are written as HTML by this function, not built by the script,
//! so that the page shows them even without JavaScript and a test can read
//! exactly what a person sees. The script only hides and reorders rows. The
//! page reads `#q=TEXT` (and `&sort=COLUMN`, `&desc=1`) from its address, so
//! a link can open it filtered.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::AccessReport;
use super::render::{CSV_COLUMNS, cells};

/// `s` with the five characters HTML gives meaning to escaped: safe in
/// text and in quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em;color:#1f2328}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em}
.meta{color:#59636e;margin-bottom:1em}
.counts{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}
.count{border:1px solid #d1d9e0;border-radius:6px;padding:.4em .8em;background:#f6f8fa}
.count b{display:block;font-size:1.3em}
.count.removed{background:#ffebe9;border-color:#ff8182}
input#q{font-size:1em;padding:.4em;width:min(40em,100%);margin:.4em 0}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #d1d9e0;padding:.25em .5em;text-align:left;vertical-align:top}
#access th{cursor:pointer;background:#f6f8fa;position:sticky;top:0;user-select:none}
#access th.asc::after{content:" \25B2"}#access th.desc::after{content:" \25BC"}
tr.removed td{background:#ffebe9}
tr.removed td.status{font-weight:bold;color:#cf222e}
tr.user_deleted td,tr.principal_deleted td{color:#59636e}
.matrix td.n{text-align:right}.matrix td.removed{background:#ffebe9;color:#cf222e;font-weight:bold}
.note{color:#59636e}
"#;

const SCRIPT: &str = r#"
(function(){
var table=document.getElementById('access'),body=table.tBodies[0];
var rows=Array.prototype.slice.call(body.rows),q=document.getElementById('q');
var shown=document.getElementById('shown'),heads=table.tHead.rows[0].cells;
var sortCol=-1,desc=false;
function apply(){
  var words=q.value.toLowerCase().split(/\s+/).filter(Boolean),n=0;
  rows.forEach(function(r){
    var t=r.getAttribute('data-text'),ok=words.every(function(w){return t.indexOf(w)>=0;});
    r.hidden=!ok;if(ok)n++;
  });
  shown.textContent=n;
}
function sortBy(col,d){
  sortCol=col;desc=d;
  for(var i=0;i<heads.length;i++){heads[i].className=i===col?(d?'desc':'asc'):'';}
  var keyed=rows.map(function(r,i){return [r.cells[col].textContent,i,r];});
  keyed.sort(function(a,b){var c=a[0]<b[0]?-1:a[0]>b[0]?1:0;return (d?-c:c)||a[1]-b[1];});
  var f=document.createDocumentFragment();
  keyed.forEach(function(k){f.appendChild(k[2]);});
  body.appendChild(f);
}
function names(){var out=[];for(var i=0;i<heads.length;i++)out.push(heads[i].getAttribute('data-col'));return out;}
Array.prototype.forEach.call(heads,function(h,i){
  h.addEventListener('click',function(){sortBy(i,sortCol===i?!desc:false);});
});
q.addEventListener('input',apply);
var hash=location.hash.replace(/^#/,'').split('&'),params={};
hash.forEach(function(p){var kv=p.split('=');if(kv[0])params[kv[0]]=decodeURIComponent((kv[1]||'').replace(/\+/g,' '));});
if(params.q)q.value=params.q;
if(params.sort){var c=names().indexOf(params.sort);if(c>=0)sortBy(c,params.desc==='1');}
apply();
})();
"#;

/// Writes the counts at the top of the page.
fn counts(out: &mut String, report: &AccessReport) {
    let s = &report.summary;
    out.push_str("<div class=\"counts\">");
    for (label, n) in [
        ("accesses", s.rows),
        ("people", s.people),
        ("accounts", s.accounts),
        ("permission sets", s.permission_sets),
    ] {
        let _ = write!(out, "<div class=\"count\"><b>{n}</b>{}</div>", esc(label));
    }
    for (status, n) in &s.by_status {
        let class = if status.is_removed_by_apply() {
            "count removed"
        } else {
            "count"
        };
        let _ = write!(
            out,
            "<div class=\"{class}\" title=\"{}\"><b>{n}</b>{}</div>",
            esc(status.describe()),
            esc(status.as_str())
        );
    }
    out.push_str("</div>");
    for (what, groups) in [
        (
            "Members unknown (export the snapshot again to record them), so not listed",
            &s.groups_without_members,
        ),
        ("Groups with no members", &s.empty_groups),
    ] {
        if !groups.is_empty() {
            let _ = write!(
                out,
                "<p class=\"note\">{}: {}</p>",
                esc(what),
                esc(&groups.join(", "))
            );
        }
    }
}

/// Writes the table of every access.
fn table(out: &mut String, report: &AccessReport) {
    let _ = write!(
        out,
        "<h2>Every access</h2><input id=\"q\" type=\"search\" placeholder=\"Filter: type any part of a user, group, account, permission set, rule or status\">\
         <p class=\"meta\">Showing <span id=\"shown\">{}</span> of {} rows. Click a column to sort.</p>\
         <table id=\"access\"><thead><tr>",
        report.rows.len(),
        report.rows.len()
    );
    for c in CSV_COLUMNS {
        let _ = write!(out, "<th data-col=\"{c}\">{c}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in &report.rows {
        let cells = cells(row);
        let text = cells.join(" ").to_lowercase();
        let class = if row.status.is_removed_by_apply() {
            format!("removed {}", row.status.as_str())
        } else {
            row.status.as_str().to_owned()
        };
        let _ = write!(out, "<tr class=\"{class}\" data-text=\"{}\">", esc(&text));
        for (c, v) in CSV_COLUMNS.iter().zip(&cells) {
            let _ = write!(out, "<td class=\"{c}\">{}</td>", esc(v));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>");
}

/// Writes the account × permission set view: how many people reach each
/// account with each permission set, in red where the next apply removes
/// some of that access.
fn matrix(out: &mut String, report: &AccessReport) {
    type Cell<'a> = (BTreeSet<&'a str>, bool);
    let mut sets: BTreeSet<&str> = BTreeSet::new();
    let mut grid: BTreeMap<(&str, &str), BTreeMap<&str, Cell<'_>>> = BTreeMap::new();
    for r in &report.rows {
        sets.insert(&r.permission_set);
        let cell = grid
            .entry((&r.account_name, r.account_id.as_str()))
            .or_default()
            .entry(&r.permission_set)
            .or_default();
        cell.0.insert(r.user_id.as_str());
        cell.1 |= r.status.is_removed_by_apply();
    }
    out.push_str(
        "<h2>Accounts × permission sets</h2><p class=\"meta\">People with access; red where the next apply removes some of it.</p>\
         <table class=\"matrix\"><thead><tr><th>account</th>",
    );
    for s in &sets {
        let _ = write!(out, "<th>{}</th>", esc(s));
    }
    out.push_str("</tr></thead><tbody>\n");
    for ((name, id), by_set) in &grid {
        let _ = write!(out, "<tr><th>{} ({})</th>", esc(name), esc(id));
        for s in &sets {
            match by_set.get(s) {
                Some((people, removed)) => {
                    let class = if *removed { "n removed" } else { "n" };
                    let _ = write!(out, "<td class=\"{class}\">{}</td>", people.len());
                }
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>");
}

/// The report as one HTML page.
pub fn html(report: &AccessReport) -> String {
    let mut out = String::with_capacity(400 * (report.rows.len() + 10));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\
         <title>Access report {}</title><style>{STYLE}</style></head><body>\
         <h1>Who can reach what</h1><p class=\"meta\">Instance {} on {}. Rows marked red are access the next apply removes.</p>",
        esc(&report.today.to_string()),
        esc(report.instance_arn.as_str()),
        esc(&report.today.to_string()),
    );
    counts(&mut out, report);
    matrix(&mut out, report);
    table(&mut out, report);
    let _ = writeln!(out, "<script>{SCRIPT}</script></body></html>");
    out
}
