//! Counting for bodies too long for GitHub, shared by plans and drift
//! reports: numbers with thousands separators, counted nouns, ```diff blocks,
//! and tallies of assignments by permission set and OU that coarsen until
//! they fit.

use std::collections::{BTreeMap, BTreeSet};

use crate::escape::{fence_for, visible};

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `n` and the noun, singular or plural: `1 create`, `2,000 creates`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `lines` in a fenced ```diff block.
pub(crate) fn diff_block(lines: &[String]) -> String {
    let mut body = String::new();
    for l in lines {
        body.push_str(l);
        body.push('\n');
    }
    let fence = fence_for(&body);
    format!("{fence}diff\n{body}{fence}\n")
}

/// How many bytes `lines` take in a code block, fences aside.
pub(crate) fn lines_len(lines: &[String]) -> usize {
    lines.iter().map(|l| l.len() + 1).sum()
}

/// How finely a [`tally`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TallyLevel {
    PermissionSetAndOu,
    PermissionSet,
    Total,
}

impl TallyLevel {
    pub(crate) fn by(self) -> &'static str {
        match self {
            TallyLevel::PermissionSetAndOu => "by permission set and OU",
            TallyLevel::PermissionSet => "by permission set",
            TallyLevel::Total => "in total",
        }
    }
}

/// Counts of `items` (permission set name, OU path) as lines made by
/// `line(count, "AppDeveloper in Workloads/NonProd")`, at the finest level
/// whose lines take at most `budget` bytes (the total, one line, otherwise).
pub(crate) fn tally<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
    line: impl Fn(usize, &str) -> String,
    budget: usize,
) -> (TallyLevel, Vec<String>) {
    let mut pairs: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut sets: BTreeMap<&str, (usize, BTreeSet<&str>)> = BTreeMap::new();
    let mut ous: BTreeSet<&str> = BTreeSet::new();
    let mut total = 0;
    for (ps, ou) in items {
        *pairs.entry((ps, ou)).or_default() += 1;
        let e = sets.entry(ps).or_default();
        e.0 += 1;
        e.1.insert(ou);
        ous.insert(ou);
        total += 1;
    }
    let in_ous = |set: &BTreeSet<&str>| match set.iter().next() {
        Some(ou) if set.len() == 1 => visible(ou).into_owned(),
        _ => count(set.len(), "OU", "OUs"),
    };
    let by_pair: Vec<String> = pairs
        .iter()
        .map(|((ps, ou), n)| line(*n, &format!("{} in {}", visible(ps), visible(ou))))
        .collect();
    if lines_len(&by_pair) <= budget {
        return (TallyLevel::PermissionSetAndOu, by_pair);
    }
    let by_set: Vec<String> = sets
        .iter()
        .map(|(ps, (n, o))| line(*n, &format!("{} in {}", visible(ps), in_ous(o))))
        .collect();
    if lines_len(&by_set) <= budget {
        return (TallyLevel::PermissionSet, by_set);
    }
    let what = format!(
        "{} in {}",
        count(sets.len(), "permission set", "permission sets"),
        in_ous(&ous)
    );
    (TallyLevel::Total, vec![line(total, &what)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn tallies_coarsen_until_they_fit() {
        let items = [("A", "X"), ("A", "Y"), ("B", "X"), ("A", "X")];
        let line = |n: usize, what: &str| format!("+ {n} of {what}");
        let (level, lines) = tally(items, line, 1_000);
        assert_eq!(level, TallyLevel::PermissionSetAndOu);
        assert_eq!(lines, ["+ 2 of A in X", "+ 1 of A in Y", "+ 1 of B in X"]);
        let (level, lines) = tally(items, line, 32);
        assert_eq!(level, TallyLevel::PermissionSet);
        assert_eq!(lines, ["+ 3 of A in 2 OUs", "+ 1 of B in X"]);
        let (level, lines) = tally(items, line, 10);
        assert_eq!(level, TallyLevel::Total);
        assert_eq!(lines, ["+ 4 of 2 permission sets in 2 OUs"]);
    }
}
