//! The one way text is compared in place search: "Zürich", "ZURICH" and "zurich" are the same
//! words, and punctuation only separates them ("St.-Étienne" is "st etienne").

/// Folds `text` to lower-case ASCII words separated by single spaces.
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text);
    let mut out = String::with_capacity(ascii.len());
    for word in ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn accents_case_and_punctuation_fold_away() {
        assert_eq!(fold("Zürich"), "zurich");
        assert_eq!(fold("  SAINT-Étienne, FR "), "saint etienne fr");
        assert_eq!(fold("St. Louis"), "st louis");
        assert_eq!(fold("500 Howard St"), "500 howard st");
        assert_eq!(fold("München"), "munchen");
        assert_eq!(fold("---"), "");
    }
}
