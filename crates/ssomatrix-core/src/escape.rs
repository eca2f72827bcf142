//! Text from outside (account, OU, group, user and permission set names, rule
//! owners, anything read from the instance or the file) escaped for each
//! output, so that it is shown as data and never read as markup.
//!
//! Two layers, applied in this order:
//! - [`visible`]: every control character (C0, DEL, C1), bidi control,
//!   zero-width or other invisible formatting character and line or paragraph
//!   separator is written as a visible escape (`\n`, `\x1b`, `\u{202e}`), and
//!   `\` as `\\` so that an escape cannot be faked. On a terminal this is all
//!   that is needed: nothing left can move the cursor, recolour or reorder a
//!   line. Inside a Markdown code block it is all that is needed too.
//! - [`md_text`] and [`md_message`]: Markdown inline text (a table cell, a
//!   list item). Markdown punctuation is backslash-escaped, `<`, `>` and `&`
//!   become entities, and what GitHub would turn into a mention or a link
//!   without any markup (`@team`, `https://…`, `www.…`) gets an invisible
//!   zero-width space (written as the entity `&#8203;`) where it breaks the
//!   pattern. Characters that never start markup (letters, digits, `-`, `.`,
//!   `(`, `#` inside a line, an `@` inside an e-mail address, `_` after a
//!   letter) are left alone, so that ordinary names read the same as before.

use std::borrow::Cow;
use std::fmt::Write;

/// Invisible or reordering characters beyond the control characters
/// (`char::is_control`): Unicode's format characters (category Cf: bidi
/// controls and isolates, zero-width space/joiners, soft hyphen, byte order
/// mark, tag characters…), the line and paragraph separators, and the blank
/// fillers that render as nothing (Hangul fillers, the combining grapheme
/// joiner, the Khmer inherent vowels).
const INVISIBLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x3164, 0x3164),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `c` is shown as an escape rather than as itself.
pub fn is_hidden(c: char) -> bool {
    let u = u32::from(c);
    c.is_control() || INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&u))
}

/// `s` with every hidden character (see [`is_hidden`]) and `\` written as a
/// visible escape; borrowed when there is nothing to escape.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\\' || is_hidden(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The zero-width space that breaks a mention or an autolink, as an entity
/// so that the output itself holds no invisible character.
const BREAK: &str = "&#8203;";

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `s` as Markdown inline text: shown exactly as written (after
/// [`visible`]), never as markup, never leaving its table cell or line.
pub fn md_text(s: &str) -> String {
    md_text_at(s, true)
}

/// Markdown inline text; `line_start` says whether `s` may begin a line's
/// content, where `#` would start a heading.
fn md_text_at(s: &str, line_start: bool) -> String {
    let v = visible(s);
    let chars: Vec<char> = v.chars().collect();
    let mut out = String::with_capacity(v.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        match c {
            '\\' | '`' | '*' | '~' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            // `_` after a letter or digit can never open emphasis
            // (CommonMark's flanking rules), and every `_` that could is
            // escaped: `OUT_OF_SYNC` and `AWSReservedSSO_x_…` stay as written.
            '_' if prev.is_some_and(char::is_alphanumeric) => out.push('_'),
            '_' => out.push_str("\\_"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '#' if line_start && chars[..i].iter().all(|&p| p == ' ') => out.push_str("\\#"),
            // GitHub mentions `@name` unless a word character comes before
            // the `@` (as in an e-mail address).
            '@' if !prev.is_some_and(is_word) => {
                out.push('@');
                out.push_str(BREAK);
            }
            // `scheme://…` and `www.…` are links on GitHub without markup.
            ':' if chars.get(i + 1..i + 3) == Some(&['/', '/']) => {
                out.push(':');
                out.push_str(BREAK);
            }
            '.' if i >= 3
                && chars[i - 3..i].iter().all(|p| p.eq_ignore_ascii_case(&'w'))
                && !(i >= 4 && is_word(chars[i - 4])) =>
            {
                out.push_str(BREAK);
                out.push('.');
            }
            c => out.push(c),
        }
    }
    out
}

/// Where a Markdown message is written: inside a table cell `|` must be
/// escaped even in a code span (GitHub's tables split on it first), outside
/// one the backslash would show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MdContext {
    TableCell,
    Line,
}

/// A message of ours (a warning, a diagnostic, a reason) as Markdown inline
/// text. Messages quote names in backticks; each pair of backticks becomes a
/// code span whose content (whatever a name holds) cannot leave it, and the
/// rest is [`md_text`]. A message with an odd number of backticks has no
/// code spans: every backtick is shown as written.
pub fn md_message(s: &str, ctx: MdContext) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return md_text(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            out.push_str(&md_text_at(part, i == 0));
        } else {
            out.push_str(&md_code_span(part, ctx));
        }
    }
    out
}

/// `s` as a Markdown code span: everything in it is literal, so only hidden
/// characters (which would break the line) and, in a table, `|` are escaped.
fn md_code_span(s: &str, ctx: MdContext) -> String {
    let v = visible(s);
    if v.is_empty() {
        return "\\`\\`".to_owned();
    }
    let body = match ctx {
        MdContext::TableCell => v.replace('|', "\\|"),
        MdContext::Line => v.into_owned(),
    };
    let fence = "`".repeat(longest_run(&body, '`') + 1);
    // A space keeps a backtick at either end from joining the fence; here
    // there is none (the content was split on backticks), so none is added.
    format!("{fence}{body}{fence}")
}

/// The length of the longest run of `c` in `s`.
pub fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// The fence of a Markdown code block holding `body`: three backticks, or
/// one more than the longest backtick run in it, so that no line of the body
/// can close the block.
pub fn fence_for(body: &str) -> String {
    "`".repeat(longest_run(body, '`').max(2) + 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ordinary_names_are_unchanged() {
        for s in [
            "aws-team-a-engineers",
            "carol.diaz@contractor.example",
            "Workloads/NonProd",
            "rule #2 (line 5): ou Workloads/Prod",
            "OUT_OF_SYNC",
            "AWSReservedSSO_BreakGlass_…",
            "Müller Ångström 日本",
        ] {
            assert_eq!(visible(s), s);
            assert_eq!(md_text(s), s);
            assert_eq!(md_message(s, MdContext::TableCell), s);
        }
    }

    #[test]
    fn controls_are_escaped_visibly() {
        assert_eq!(
            visible("a\nb\r\tc\x1b[31md\x08\x7f\u{85}\u{202e}\u{200b}\\"),
            "a\\nb\\r\\tc\\x1b[31md\\x08\\x7f\\u{85}\\u{202e}\\u{200b}\\\\"
        );
        assert_eq!(
            visible("\u{e0041}\u{2028}\u{3164}"),
            "\\u{e0041}\\u{2028}\\u{3164}"
        );
    }

    #[test]
    fn markdown_markup_is_escaped() {
        assert_eq!(md_text("a|b"), "a\\|b");
        assert_eq!(md_text("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(md_text("&#64;"), "&amp;#64;");
        assert_eq!(md_text("[x](http://e)"), "\\[x\\](http:&#8203;//e)");
        assert_eq!(md_text("![i](u)"), "!\\[i\\](u)");
        assert_eq!(md_text("*b* _i_ ~s~ `c`"), "\\*b\\* \\_i_ \\~s\\~ \\`c\\`");
        assert_eq!(md_text("# No changes"), "\\# No changes");
        assert_eq!(md_text("team #1"), "team #1");
        assert_eq!(md_text("@org/team"), "@&#8203;org/team");
        assert_eq!(md_text("hi @team"), "hi @&#8203;team");
        assert_eq!(md_text("see WWW.evil.com"), "see WWW&#8203;.evil.com");
        assert_eq!(md_text("awww.x"), "awww.x");
        assert_eq!(md_text("a\nb"), "a\\\\nb");
    }

    #[test]
    fn messages_keep_their_code_spans_and_names_stay_inside() {
        assert_eq!(
            md_message("unknown group `a|b<c>` here", MdContext::TableCell),
            "unknown group `a\\|b<c>` here"
        );
        assert_eq!(
            md_message("unknown group `a|b` here", MdContext::Line),
            "unknown group `a|b` here"
        );
        assert_eq!(md_message("odd ` count", MdContext::Line), "odd \\` count");
        assert_eq!(md_message("empty ``", MdContext::Line), "empty \\`\\`");
        assert_eq!(
            md_message("group `x\n# y`", MdContext::Line),
            "group `x\\n# y`"
        );
    }

    #[test]
    fn fences_outgrow_backtick_runs() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
