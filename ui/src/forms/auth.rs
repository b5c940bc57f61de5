//! Sign-in and sign-up fields checked with `parkway-core`'s rules before anything is sent.

use parkway_core::api::{LoginRequest, RegisterRequest, Role};
use parkway_core::text::{self, Password, limits};

/// Makes the first letter upper case, for showing core's messages as sentences. Core's
/// messages are English and start with an ASCII letter; ASCII's rule is enough, and Unicode's
/// would bring its case tables into the wasm (about 6 KB gzipped) for no other use.
pub fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            let mut out = String::from(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

/// A light check of an email address. The server applies `parkway-core`'s full rule
/// (`text::Email`) and its sentence is shown when it refuses; calling that rule here would
/// bring Unicode case tables into the wasm (about 8 KB gzipped) for no better feedback.
pub fn email(s: &str) -> Result<String, String> {
    let s = s.trim().to_ascii_lowercase();
    let ok = s
        .rsplit_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.ends_with('.'));
    if ok && !s.contains(char::is_whitespace) {
        Ok(s)
    } else {
        Err("Enter your email address, like name@example.com.".to_owned())
    }
}

/// Checks the sign-in fields.
pub fn sign_in(email: &str, password: &str) -> Result<LoginRequest, String> {
    let email = self::email(email)?;
    if password.is_empty() {
        return Err("Enter your password.".to_owned());
    }
    Ok(LoginRequest { email, password: password.to_owned() })
}

/// Checks the sign-up fields: a name, an email, a password of 8+ characters, at least one role.
pub fn sign_up(name: &str, email: &str, password: &str, driver: bool, owner: bool) -> Result<RegisterRequest, String> {
    let name = text::required("name", name, limits::NAME).map_err(|e| sentence(&e.0))?;
    let email = self::email(email)?;
    let password = Password::parse(password).map_err(|e| sentence(&e.0))?;
    let roles: Vec<Role> = [(driver, Role::Driver), (owner, Role::Owner)]
        .into_iter()
        .filter_map(|(on, role)| on.then_some(role))
        .collect();
    if roles.is_empty() {
        return Err("Choose at least one: park (driver) or rent out (owner).".to_owned());
    }
    Ok(RegisterRequest { email: email.as_str().to_owned(), password: password.expose().to_owned(), name, roles })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_up_checks_every_field() {
        assert_eq!(sign_up("", "a@b.co", "password1", true, false).expect_err("no name"), "Name must not be empty.");
        assert_eq!(
            sign_up("Ana", "nope", "password1", true, false).expect_err("bad email"),
            "Enter your email address, like name@example.com."
        );
        assert_eq!(
            sign_up("Ana", "a@b.co", "short", true, false).expect_err("short"),
            "Password must be at least 8 characters."
        );
        assert!(sign_up("Ana", "a@b.co", "password1", false, false).expect_err("no role").starts_with("Choose"));
        let ok = sign_up(" Ana ", "A@B.co", "password1", true, true).expect("valid");
        assert_eq!((ok.name.as_str(), ok.email.as_str()), ("Ana", "a@b.co"));
        assert_eq!(ok.roles, vec![Role::Driver, Role::Owner]);
    }

    #[test]
    fn emails_get_a_light_check() {
        assert_eq!(email(" Ana@Example.COM ").as_deref(), Ok("ana@example.com"));
        for bad in ["", "ana", "@example.com", "ana@example", "ana@example.", "a na@example.com"] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sign_in_needs_an_email_and_a_password() {
        assert_eq!(sign_in("a@b.co", "").expect_err("empty"), "Enter your password.");
        assert_eq!(sign_in("A@b.co", "x").expect("ok").email, "a@b.co");
    }
}
