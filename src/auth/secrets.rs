//! Random secrets and their stored forms: SHA-256 for high-entropy tokens (looked up by hash),
//! argon2 for client secrets (verified slowly, never looked up).

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng as PasswordRng},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::{RngCore, rngs::OsRng};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// A fresh random token: 32 bytes from the OS, base64url.
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a session id or bearer token: a leaked table opens no session.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a client secret with argon2 (PHC string with its salt and parameters).
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut PasswordRng);
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)?
        .to_string())
}

/// Checks a client secret against its argon2 hash; a malformed hash never matches.
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The HMAC-SHA256 of `message` under `key`, base64url: a download link's signature.
pub fn sign(key: &[u8], message: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` is `message`'s under `key`, compared in constant time.
pub fn verify(key: &[u8], message: &str, signature: &str) -> bool {
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message.as_bytes());
    mac.verify_slice(&signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (one, two) = (random_token(), random_token());
        assert_ne!(one, two);
        assert_eq!(token_hash(&one), token_hash(&one));
        assert_ne!(token_hash(&one), one);
    }

    #[test]
    fn only_the_right_secret_matches_its_hash() {
        let hash = hash_secret("correct horse").unwrap();
        assert!(verify_secret("correct horse", &hash));
        assert!(!verify_secret("battery staple", &hash));
        assert!(!verify_secret("correct horse", "not a hash"));
    }

    #[test]
    fn a_signature_holds_for_its_message_and_key_only() {
        let signature = sign(b"key", "/export/values.csv?owner=3303");
        assert!(verify(b"key", "/export/values.csv?owner=3303", &signature));
        assert!(!verify(b"key", "/export/values.csv?owner=3304", &signature));
        assert!(!verify(
            b"other",
            "/export/values.csv?owner=3303",
            &signature
        ));
        assert!(!verify(
            b"key",
            "/export/values.csv?owner=3303",
            "not base64!"
        ));
    }
}
