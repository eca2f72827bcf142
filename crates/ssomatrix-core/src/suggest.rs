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
}
