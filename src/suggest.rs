//! "Did you mean ...?": the known words closest to what the user wrote (a flag, a
//! field, a region, an address), by edit distance. The one home of that question for
//! `config`, `state` and `cli`.

/// The candidate with the smallest edit distance to `word`, if that distance is small
/// for the word's length (a third of it, at least one edit); ties go to the first.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let length = word.chars().count();
    let limit = (length / 3).max(1);
    candidates
        .into_iter()
        // The distance is at least the difference in length: a candidate too long or
        // too short is not compared (a 50 MB value is not a near miss of any region).
        .filter(|c| c.chars().count().abs_diff(length) <= limit)
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Known addresses close to `wanted` (edit distance over the whole address or over the
/// names after the last dot, or one name containing the other), closest first, at most
/// 3. For `state show/rm` of an address the state does not hold.
pub(crate) fn close_addresses<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let wanted_name = wanted.rsplit('.').next().unwrap_or(wanted);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let name = c.rsplit('.').next().unwrap_or(c);
            let d = distance(wanted, c).min(distance(wanted_name, name));
            let limit = (wanted_name.chars().count() / 3).max(2);
            let related = !wanted_name.is_empty()
                && (name.contains(wanted_name) || wanted_name.contains(name));
            (d <= limit || related).then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("regoin", "region"), 2);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("regoin", ["id", "region", "protect"]),
            Some("region")
        );
        assert_eq!(closest("zzz", ["id", "region"]), None);
    }

    #[test]
    fn close_addresses_find_typos_and_substrings() {
        let known = [
            "ipsec_server.office",
            "ipsec_server.lab",
            "ipsec_server.office-2",
        ];
        assert_eq!(
            close_addresses("ipsec_server.ofice", known),
            vec!["ipsec_server.office"]
        );
        assert_eq!(close_addresses("lab", known), vec!["ipsec_server.lab"]);
        assert_eq!(
            close_addresses("ipsec_server.office", known[1..].iter().copied()),
            vec!["ipsec_server.office-2"]
        );
        assert!(close_addresses("ipsec_server.zzzzzzzz", known).is_empty());
    }
}
