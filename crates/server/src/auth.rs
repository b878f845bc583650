//! Passwords (argon2id), sessions (random tokens, stored hashed) and CSRF tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use crate::ServerError;

/// Session lifetime.
pub const SESSION_TTL: i64 = 12 * 3600;
pub const COOKIE: &str = "trove_session";

pub fn random_token() -> Result<String, ServerError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| ServerError::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(b))
}

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

pub fn hash_password(password: &str) -> Result<String, ServerError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ServerError::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ServerError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServerError::Internal(format!("hashing: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fixed hash to verify against when the user does not exist, so that a wrong user name
/// takes as long as a wrong password.
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let h = DUMMY.get_or_init(|| hash_password("dummy-password-for-timing").unwrap_or_default());
    let _ = verify_password(password, h);
}

/// Constant-time comparison of two tokens.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
