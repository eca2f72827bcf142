//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `wanted`, if one is close enough to be a likely
/// typo: same name in another case, or a small edit distance for its length.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = wanted.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == wanted {
            continue;
        }
        let d = if c.to_lowercase() == lower {
            0
        } else {
            strsim::levenshtein(&lower, &c.to_lowercase())
        };
        if best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    let limit = (wanted.chars().count() / 3).max(2);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

/// `; did you mean `x`?` or nothing.
pub fn did_you_mean<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match closest(wanted, candidates) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

/// `; did you mean `x`?` for a glob `pattern` that matches none of `names`:
/// the closest of the names themselves (a name is a glob that matches
/// itself) and, for a pattern with one leading or trailing `*`
/// (`AWSControlTower*`), of the names' prefixes or suffixes of about the
/// same length with the `*` kept, so that the suggestion still matches a
/// family of names.
pub fn did_you_mean_glob<'a>(pattern: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut candidates: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let star_count = pattern.matches('*').count();
    let literal: Vec<char> = pattern.trim_matches('*').chars().collect();
    let (trailing, leading) = (pattern.ends_with('*'), pattern.starts_with('*'));
    if star_count == 1 && !pattern.contains('?') && (trailing || leading) {
        let len = literal.len();
        for name in &names {
            let chars: Vec<char> = name.chars().collect();
            for l in len.saturating_sub(2)..=(len + 2).min(chars.len()) {
                if l == 0 {
                    continue;
                }
                let cut: String = if trailing {
                    chars[..l].iter().collect::<String>() + "*"
                } else {
                    "*".to_owned() + &chars[chars.len() - l..].iter().collect::<String>()
                };
                candidates.push(cut);
            }
        }
    }
    candidates.sort();
    candidates.dedup();
    did_you_mean(pattern, candidates.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["Workloads/NonProd", "Workloads/Prod", "Security"];
        assert_eq!(
            closest("Workloads/Nonprod", names),
            Some("Workloads/NonProd")
        );
        assert_eq!(closest("Workload/Prod", names), Some("Workloads/Prod"));
        assert_eq!(closest("Marketing", names), None);
    }

    #[test]
    fn suggests_globs_that_still_match_a_family() {
        let names = [
            "AWSControlTowerAdmin",
            "AWSControlTowerReadOnly",
            "Admin",
            "BillingViewer",
        ];
        assert_eq!(
            did_you_mean_glob("AWSControlTwer*", names),
            "; did you mean `AWSControlTower*`?"
        );
        assert_eq!(
            did_you_mean_glob("*Viewr", names),
            "; did you mean `*Viewer`?"
        );
        assert_eq!(did_you_mean_glob("Admn", names), "; did you mean `Admin`?");
        assert_eq!(did_you_mean_glob("Marketing*", names), "");
    }
}
