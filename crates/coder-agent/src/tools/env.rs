//! The environment a command runs with: Coder's own, minus anything that looks like a secret.
//!
//! A command the model runs can print its environment, and the output goes back to the model
//! and into the log, so a credential Coder holds (a provider's API key, a token in the shell that
//! started the app) must never reach it. A variable is withheld when its name, compared without
//! regard to case,
//! - ends in `_API_KEY`, `_APIKEY`, `_TOKEN`, `_SECRET`, `_SECRET_KEY`, `_PRIVATE_KEY`,
//!   `_ACCESS_KEY`, `_CREDENTIALS` or `_AUTH` (or is one of these without the underscore);
//! - contains `PASSWORD`, `PASSWD` or `SECRET`;
//! - belongs to a model provider: starts with `OPENAI_`, `ANTHROPIC_` or `AZURE_OPENAI_` (keys,
//!   organisations, endpoints such as `OPENAI_BASE_URL`), or ends in `_API_BASE` (the endpoint
//!   convention other provider clients follow).
//!
//! Names in the allowlist pass whatever they look like — except a model provider's, which no
//! allowlist admits: Coder's own keys never reach a command. Names are compared exactly, as the
//! environment itself is case-sensitive. Everything else passes unchanged, so `PATH`, `HOME`
//! and the toolchain's variables stay as the person set them.

use std::ffi::{OsStr, OsString};

/// Name endings that mark a credential.
const SECRET_SUFFIXES: &[&str] = &[
    "_API_KEY",
    "_APIKEY",
    "_TOKEN",
    "_SECRET",
    "_SECRET_KEY",
    "_PRIVATE_KEY",
    "_ACCESS_KEY",
    "_CREDENTIALS",
    "_AUTH",
];

/// Name parts that mark a credential wherever they occur.
const SECRET_PARTS: &[&str] = &["PASSWORD", "PASSWD", "SECRET"];

/// Name beginnings of model providers' variables (keys, organisations, endpoints).
const PROVIDER_PREFIXES: &[&str] = &["OPENAI_", "ANTHROPIC_", "AZURE_OPENAI_"];

/// Name endings of provider endpoints, which may carry a key or point at a private proxy.
const PROVIDER_SUFFIXES: &[&str] = &["_API_BASE"];

/// Whether a variable named `name` is withheld from commands (the allowlist aside).
pub fn is_withheld(name: &OsStr) -> bool {
    let upper = name.to_string_lossy().to_ascii_uppercase();
    let ends = |suffix: &&str| upper.ends_with(suffix) || upper == suffix[1..];
    SECRET_SUFFIXES.iter().any(ends)
        || SECRET_PARTS.iter().any(|part| upper.contains(part))
        || is_provider(&upper)
}

/// Whether an upper-cased name is a model provider's: withheld even when allowed.
fn is_provider(upper: &str) -> bool {
    PROVIDER_PREFIXES.iter().any(|prefix| upper.starts_with(prefix))
        || PROVIDER_SUFFIXES.iter().any(|suffix| upper.ends_with(suffix))
}

/// The variables of `vars` a command may see: those not withheld, and those named in `allow`
/// that are not a model provider's.
pub fn scrubbed<I>(vars: I, allow: &[String]) -> Vec<(OsString, OsString)>
where
    I: IntoIterator<Item = (OsString, OsString)>,
{
    let allowed = |name: &OsStr| {
        allow.iter().any(|a| OsStr::new(a) == name)
            && !is_provider(&name.to_string_lossy().to_ascii_uppercase())
    };
    vars.into_iter().filter(|(name, _)| !is_withheld(name) || allowed(name)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(vars: &[(&str, &str)], allow: &[&str]) -> Vec<String> {
        let vars = vars.iter().map(|(n, v)| (OsString::from(n), OsString::from(v)));
        let allow: Vec<String> = allow.iter().map(|s| (*s).to_owned()).collect();
        scrubbed(vars, &allow).into_iter().map(|(n, _)| n.into_string().unwrap()).collect()
    }

    #[test]
    fn credentials_and_provider_settings_are_withheld() {
        for name in [
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "OPENAI_BASE_URL",
            "ANTHROPIC_BASE_URL",
            "OPENAI_API_BASE",
            "OPENAI_ORG_ID",
            "AZURE_OPENAI_ENDPOINT",
            "AZURE_API_BASE",
            "MISTRAL_API_KEY",
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "NPM_TOKEN",
            "CARGO_REGISTRY_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "CLIENT_SECRET",
            "DB_PASSWORD",
            "MySql_Password_File",
            "LDAP_PASSWD",
            "SSH_PRIVATE_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "API_KEY",
            "TOKEN",
            "github_token",
        ] {
            assert!(is_withheld(OsStr::new(name)), "{name} names a credential or a provider setting");
        }
    }

    #[test]
    fn ordinary_variables_pass() {
        for name in [
            "PATH",
            "HOME",
            "USER",
            "LANG",
            "CARGO_HOME",
            "RUSTUP_TOOLCHAIN",
            "TERM",
            "TOKENIZERS_PARALLELISM",
            "JIRA_BASE_URL",
            "SSH_AUTH_SOCK",
        ] {
            assert!(
                !is_withheld(OsStr::new(name)),
                "{name} is needed by ordinary commands and holds no secret"
            );
        }
    }

    #[test]
    fn the_allowlist_passes_exact_names_only() {
        let vars = [("PATH", "/bin"), ("NPM_TOKEN", "t"), ("GH_TOKEN", "g"), ("HOME", "/h")];
        assert_eq!(
            names(&vars, &["NPM_TOKEN", "gh_token"]),
            ["PATH", "NPM_TOKEN", "HOME"],
            "an allowed name passes; the allowlist is case-sensitive like the environment"
        );
        let keys = [("OPENAI_API_KEY", "sk"), ("ANTHROPIC_API_KEY", "sk"), ("PATH", "/bin")];
        assert_eq!(
            names(&keys, &["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]),
            ["PATH"],
            "no allowlist hands Coder's own provider keys to a command"
        );
    }

    #[test]
    fn values_are_kept_and_non_utf8_names_are_judged_too() {
        use std::os::unix::ffi::OsStringExt;
        let odd_secret = OsString::from_vec(b"X\xff_TOKEN".to_vec());
        let odd_plain = OsString::from_vec(b"X\xff".to_vec());
        let vars = vec![
            (odd_secret, OsString::from("s")),
            (odd_plain.clone(), OsString::from_vec(b"v\xfe".to_vec())),
        ];
        assert_eq!(
            scrubbed(vars, &[]),
            [(odd_plain, OsString::from_vec(b"v\xfe".to_vec()))],
            "a name that is not UTF-8 is still recognised, and values pass byte for byte"
        );
    }
}
