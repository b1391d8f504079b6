//! Wildcard matching, the one piece both pattern languages share, and path globs.
//!
//! Matching never backtracks more than once per star: `wildcard` is the classic two-pointer
//! algorithm (`O(text × pattern)` at worst), and a path glob runs the same algorithm over path
//! segments with `**` as its star. So a hostile pattern or subject costs time in proportion to
//! their sizes, never exponential time.

use super::RuleError;

/// One element of a wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    /// This character exactly.
    Char(char),
    /// Any run of characters, the empty one included (`*`).
    Star,
    /// Any one character (`?`).
    One,
    /// One character in (or, `negated`, not in) the ranges (`[a-z_]`, `[!.]`).
    Class { negated: bool, ranges: Vec<(char, char)> },
}

impl Token {
    fn matches(&self, c: char) -> bool {
        match self {
            Self::Char(expected) => *expected == c,
            Self::Star | Self::One => true,
            Self::Class { negated, ranges } => {
                ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
            }
        }
    }
}

/// True when `text` matches `tokens` whole.
pub(crate) fn wildcard(tokens: &[Token], text: &[char]) -> bool {
    let (mut t, mut p) = (0, 0);
    // Where the last star was, and where in the text it started matching.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(token) if token.matches(text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                // Let the last star take one more character and try again from there.
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| *token == Token::Star)
}

/// Parses wildcard text: `*`, `?`, `[…]` when `classes`, and `\` escaping the next character.
/// `what` names the pattern in errors.
pub(crate) fn tokens(text: &str, classes: bool, what: &str) -> Result<Vec<Token>, RuleError> {
    let bad = |reason: &str| RuleError::BadPattern { pattern: what.to_owned(), reason: reason.to_owned() };
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => out.push(Token::Char(escaped)),
                None => return Err(bad("it ends with a lone `\\`")),
            },
            '*' => {
                // `**` means the same as `*` inside one name or command: any run of characters.
                if out.last() != Some(&Token::Star) {
                    out.push(Token::Star);
                }
            }
            '?' => out.push(Token::One),
            '[' if classes => {
                let negated = matches!(chars.peek(), Some('!' | '^'));
                if negated {
                    chars.next();
                }
                let mut ranges = Vec::new();
                let mut closed = false;
                let mut first = true;
                while let Some(c) = chars.next() {
                    // A `]` right after `[` or `[!` is a character of the class.
                    if c == ']' && !first {
                        closed = true;
                        break;
                    }
                    first = false;
                    let lo = if c == '\\' {
                        chars.next().ok_or_else(|| bad("a class ends with `\\`"))?
                    } else {
                        c
                    };
                    let hi = if chars.peek() == Some(&'-') {
                        chars.next();
                        match chars.next() {
                            Some(']') => {
                                // `[a-]`: a trailing `-` is a character of the class.
                                ranges.push((lo, lo));
                                ranges.push(('-', '-'));
                                closed = true;
                                break;
                            }
                            Some('\\') => chars.next().ok_or_else(|| bad("a class ends with `\\`"))?,
                            Some(hi) => hi,
                            None => return Err(bad("a `[` is never closed")),
                        }
                    } else {
                        lo
                    };
                    if hi < lo {
                        return Err(bad("a class has a range that runs backwards"));
                    }
                    ranges.push((lo, hi));
                }
                if !closed {
                    return Err(bad("a `[` is never closed"));
                }
                out.push(Token::Class { negated, ranges });
            }
            c => out.push(Token::Char(c)),
        }
    }
    Ok(out)
}

/// Expands `{a,b}` alternatives (nested ones too) into the globs they stand for, at most
/// `MAX_ALTERNATIVES`. `\{`, `\}` and `\,` are kept escaped for `tokens` to read as characters.
pub(crate) fn expand_braces(text: &str, what: &str) -> Result<Vec<String>, RuleError> {
    let bad = |reason: &str| RuleError::BadPattern { pattern: what.to_owned(), reason: reason.to_owned() };
    let chars: Vec<char> = text.chars().collect();
    // Find the first top-level `{` and its matching `}`.
    let mut open = None;
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '{' => {
                if depth == 0 {
                    open = Some(i);
                    commas.clear();
                }
                depth += 1;
            }
            ',' if depth == 1 => commas.push(i),
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let start = open.expect("depth > 0 means a `{` was seen");
                    let prefix: String = chars[..start].iter().collect();
                    let suffix: String = chars[i + 1..].iter().collect();
                    let mut bounds = vec![start];
                    bounds.extend(&commas);
                    bounds.push(i);
                    let mut out = Vec::new();
                    for pair in bounds.windows(2) {
                        let middle: String = chars[pair[0] + 1..pair[1]].iter().collect();
                        for rest in expand_braces(&format!("{middle}{suffix}"), what)? {
                            out.push(format!("{prefix}{rest}"));
                            if out.len() > MAX_ALTERNATIVES {
                                return Err(bad("its `{…}` alternatives expand to too many globs"));
                            }
                        }
                    }
                    return Ok(out);
                }
            }
            '}' => return Err(bad("a `}` has no `{`")),
            _ => {}
        }
        i += 1;
    }
    if depth > 0 {
        return Err(bad("a `{` is never closed"));
    }
    Ok(vec![text.to_owned()])
}

/// Most globs one pattern's `{…}` alternatives may expand to.
pub(crate) const MAX_ALTERNATIVES: usize = 64;

/// One segment of a path glob.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of whole segments, none included.
    AnyDepth,
    /// One name, matched by a wildcard.
    Name(Vec<Token>),
}

/// A glob over `/`-separated paths relative to the project root: `*`, `?` and `[…]` within one
/// name, `**` as a whole segment for any depth. Anchored at the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathGlob {
    segments: Vec<Segment>,
}

impl PathGlob {
    /// Parses an anchored glob (no leading `/`, no `{…}`). `what` names the pattern in errors.
    pub(crate) fn parse(glob: &str, what: &str) -> Result<Self, RuleError> {
        let bad =
            |reason: &str| RuleError::BadPattern { pattern: what.to_owned(), reason: reason.to_owned() };
        let mut segments = Vec::new();
        for name in glob.split('/') {
            match name {
                "" => return Err(bad("it has an empty name between two `/`")),
                "." | ".." => return Err(bad("paths in rules have no `.` or `..` names")),
                "**" => {
                    if segments.last() != Some(&Segment::AnyDepth) {
                        segments.push(Segment::AnyDepth);
                    }
                }
                name if name.contains("**") => {
                    return Err(bad("`**` must be a whole name, as in `src/**/*.rs`"));
                }
                name => segments.push(Segment::Name(tokens(name, true, what)?)),
            }
        }
        Ok(Self { segments })
    }

    /// True when the relative path (its names, root first) matches the glob whole.
    pub(crate) fn matches(&self, names: &[Vec<char>]) -> bool {
        let (mut n, mut s) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while n < names.len() {
            match self.segments.get(s) {
                Some(Segment::AnyDepth) => {
                    star = Some((s, n));
                    s += 1;
                }
                Some(Segment::Name(tokens)) if wildcard(tokens, &names[n]) => {
                    s += 1;
                    n += 1;
                }
                _ => match star {
                    Some((ss, sn)) => {
                        s = ss + 1;
                        n = sn + 1;
                        star = Some((ss, sn + 1));
                    }
                    None => return false,
                },
            }
        }
        self.segments[s..].iter().all(|segment| *segment == Segment::AnyDepth)
    }

    /// True when the glob matches the path (its names, root first) or something inside it:
    /// whether a walk of that folder can reach a path the glob matches. Every name of a glob
    /// can be matched by some name, so this holds when the names can be consumed at all.
    pub(crate) fn matches_below(&self, names: &[Vec<char>]) -> bool {
        // The segments the names consumed so far can have led to, `**` matching none or more.
        let len = self.segments.len();
        let close = |states: &mut Vec<bool>| {
            for s in 0..len {
                if states[s] && self.segments[s] == Segment::AnyDepth {
                    states[s + 1] = true;
                }
            }
        };
        let mut states = vec![false; len + 1];
        states[0] = true;
        close(&mut states);
        for name in names {
            let mut next = vec![false; len + 1];
            for s in (0..len).filter(|&s| states[s]) {
                match &self.segments[s] {
                    Segment::AnyDepth => next[s] = true,
                    Segment::Name(tokens) if wildcard(tokens, name) => next[s + 1] = true,
                    Segment::Name(_) => {}
                }
            }
            close(&mut next);
            if !next.contains(&true) {
                return false;
            }
            states = next;
        }
        // Whatever is left, the names of some path below can match.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn wild(pattern: &str, text: &str) -> bool {
        wildcard(&tokens(pattern, true, pattern).unwrap(), &chars(text))
    }

    fn path(glob: &str, path: &str) -> bool {
        let names: Vec<Vec<char>> =
            if path.is_empty() { Vec::new() } else { path.split('/').map(chars).collect() };
        PathGlob::parse(glob, glob).unwrap().matches(&names)
    }

    #[test]
    fn wildcards_match_whole_texts() {
        assert!(wild("cargo test*", "cargo test"));
        assert!(wild("cargo test*", "cargo test -p x"));
        assert!(!wild("cargo test*", "cargo build"));
        assert!(wild("a?c", "abc") && !wild("a?c", "ac"));
        assert!(wild("*.rs", "main.rs") && !wild("*.rs", "main.rsx"));
        assert!(wild("[a-c]x", "bx") && !wild("[a-c]x", "dx"));
        assert!(wild("[!.]*", "src") && !wild("[!.]*", ".env"));
        assert!(wild("a\\*", "a*") && !wild("a\\*", "ab"), "an escaped star is a star");
        assert!(wild("[]]", "]") && wild("[a-]", "-"), "`]` first and `-` last are characters");
        assert!(wild("*a*b*c*", "xxaxxbxxcxx"));
        assert!(wild("", "") && !wild("", "x"));
    }

    #[test]
    fn many_stars_against_a_long_text_stay_fast() {
        let pattern = "*a".repeat(200) + "b";
        let text = "a".repeat(20_000);
        let started = std::time::Instant::now();
        assert!(!wild(&pattern, &text));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "no exponential backtracking");
    }

    #[test]
    fn bad_wildcards_are_refused() {
        for bad in ["[abc", "a\\", "[z-a]", "[\\"] {
            assert!(tokens(bad, true, bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn path_globs_match_by_segment() {
        assert!(path("src/**", "src/a.rs") && path("src/**", "src/a/b/c.rs") && path("src/**", "src"));
        assert!(!path("src/**", "tests/a.rs"));
        assert!(path("src/*.rs", "src/main.rs") && !path("src/*.rs", "src/bin/main.rs"));
        assert!(path("**/*.rs", "main.rs") && path("**/*.rs", "a/b/main.rs"));
        assert!(path("a/**/z", "a/z") && path("a/**/z", "a/b/c/z") && !path("a/**/z", "a/b/c/y"));
        assert!(path("**", "") && path("**", "anything/at/all"));
        assert!(!path(".env", "config/.env"), "an anchored glob names one place");
    }

    #[test]
    fn a_glob_can_match_below_a_folder() {
        let below = |glob: &str, path: &str| {
            let names: Vec<Vec<char>> =
                if path.is_empty() { Vec::new() } else { path.split('/').map(chars).collect() };
            PathGlob::parse(glob, glob).unwrap().matches_below(&names)
        };
        assert!(
            below("secrets/**", "") && below("secrets/**", "secrets") && below("secrets/**", "secrets/a")
        );
        assert!(!below("secrets/**", "src") && !below("secrets/**", "src/secrets"));
        assert!(below("**/.env/**", "") && below("**/.env/**", "deep/er"));
        assert!(below("a/*/c/**", "a/b") && !below("a/*/c/**", "a/b/d"));
    }

    #[test]
    fn bad_path_globs_are_refused() {
        for bad in ["src//a", "src/**.rs", "../x", "a/./b", "[oops"] {
            assert!(PathGlob::parse(bad, bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn braces_expand_to_alternatives() {
        assert_eq!(expand_braces("*.{ts,tsx}", "p").unwrap(), ["*.ts", "*.tsx"]);
        assert_eq!(expand_braces("{a,b{c,d}}x", "p").unwrap(), ["ax", "bcx", "bdx"]);
        assert_eq!(expand_braces("plain", "p").unwrap(), ["plain"]);
        assert_eq!(expand_braces("\\{a,b}", "p").err().map(|e| e.code()), Some("rule_pattern_invalid"));
        assert!(expand_braces("{a,b", "p").is_err() && expand_braces("a}", "p").is_err());
        let many = "{a,b,c,d,e,f,g,h}".repeat(3);
        assert!(expand_braces(&many, "p").is_err(), "512 globs is too many");
    }
}
