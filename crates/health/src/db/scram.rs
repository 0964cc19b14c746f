// SPDX-License-Identifier: MIT OR Apache-2.0
//! The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL
//! uses it: no channel binding (`n,,`), the user name left empty (the
//! server takes it from the startup message). The password is used as
//! written (no SASLprep), which is the same for ASCII passwords.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Mutex, OnceLock};

use ring::{digest, hmac, pbkdf2};

use crate::base64::{base64_decode, base64_encode};

/// A server asking for more rounds than this is refused: a check runs every
/// few seconds, and PostgreSQL's default is 4096.
const MAX_ITERATIONS: u32 = 100_000;

/// The exchange so far, after the client's first message.
pub(super) struct Scram {
    nonce: String,
    client_first_bare: String,
}

/// What the server's last message must prove.
pub(super) struct Expected {
    server_signature: Vec<u8>,
}

impl Scram {
    /// Starts with `nonce` (printable, no comma): the client's first
    /// message, and the state.
    pub(super) fn start(nonce: &str) -> (String, Self) {
        let client_first_bare = format!("n=,r={nonce}");
        let first = format!("n,,{client_first_bare}");
        (
            first,
            Self {
                nonce: nonce.to_string(),
                client_first_bare,
            },
        )
    }

    /// The client's final message for the server's first one, and what the
    /// server's final message must hold.
    pub(super) fn finish(
        &self,
        server_first: &str,
        password: &str,
    ) -> Result<(String, Expected), String> {
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for attribute in server_first.split(',') {
            match attribute.split_once('=') {
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => salt = Some(v),
                Some(("i", v)) => iterations = Some(v),
                _ => {}
            }
        }
        let garbled = || "garbled SCRAM challenge".to_string();
        let nonce = nonce.ok_or_else(garbled)?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err("SCRAM challenge with a wrong nonce".to_string());
        }
        let salt = base64_decode(salt.ok_or_else(garbled)?).ok_or_else(garbled)?;
        let iterations: u32 = iterations
            .ok_or_else(garbled)?
            .parse()
            .map_err(|_| garbled())?;
        if iterations > MAX_ITERATIONS {
            return Err(format!(
                "SCRAM iteration count {iterations} is above {MAX_ITERATIONS}"
            ));
        }
        let iterations = NonZeroU32::new(iterations).ok_or_else(garbled)?;
        let salted = salted_password(password, &salt, iterations);
        let salted = hmac::Key::new(hmac::HMAC_SHA256, &salted);
        let client_key = hmac::sign(&salted, b"Client Key");
        let stored_key = digest::digest(&digest::SHA256, client_key.as_ref());
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let stored_key = hmac::Key::new(hmac::HMAC_SHA256, stored_key.as_ref());
        let client_signature = hmac::sign(&stored_key, auth_message.as_bytes());
        let proof = super::xor(client_key.as_ref(), client_signature.as_ref());
        let server_key = hmac::sign(&salted, b"Server Key");
        let server_key = hmac::Key::new(hmac::HMAC_SHA256, server_key.as_ref());
        let server_signature = hmac::sign(&server_key, auth_message.as_bytes());
        Ok((
            format!("{without_proof},p={}", base64_encode(&proof)),
            Expected {
                server_signature: server_signature.as_ref().to_vec(),
            },
        ))
    }
}

/// Most salted passwords kept: one per (user, server) pair checked, which
/// is a few in practice; past this the cache starts over.
const SALTED_CACHE_MAX: usize = 4096;

/// PBKDF2 of the password with the server's salt and iteration count: by
/// design the costliest step of a login (4096 rounds of HMAC-SHA-256,
/// about 1 ms here), and the same at every check of a real, since a user's
/// salt and count change only with its password. So it is derived once and
/// kept, keyed by a digest of password, salt and count (never the password
/// itself).
fn salted_password(password: &str, salt: &[u8], iterations: NonZeroU32) -> [u8; 32] {
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], [u8; 32]>>> = OnceLock::new();
    let mut key = digest::Context::new(&digest::SHA256);
    for part in [
        &iterations.get().to_be_bytes()[..],
        &(salt.len() as u32).to_be_bytes()[..],
        salt,
        password.as_bytes(),
    ] {
        key.update(part);
    }
    let mut cache_key = [0u8; 32];
    cache_key.copy_from_slice(key.finish().as_ref());
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let known = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&cache_key)
        .copied();
    if let Some(salted) = known {
        return salted;
    }
    let mut salted = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        password.as_bytes(),
        &mut salted,
    );
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= SALTED_CACHE_MAX {
        cache.clear();
    }
    cache.insert(cache_key, salted);
    salted
}

impl Expected {
    /// Checks the server's final message (`v=` its signature).
    pub(super) fn verify(&self, server_final: &str) -> Result<(), String> {
        if let Some(error) = server_final.strip_prefix("e=") {
            return Err(format!("SCRAM error {error}"));
        }
        let signature = server_final
            .split(',')
            .find_map(|a| a.strip_prefix("v="))
            .and_then(base64_decode);
        if signature.as_deref() == Some(self.server_signature.as_slice()) {
            Ok(())
        } else {
            Err("the server did not prove it knows the password (SCRAM)".to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's example (user "user", password "pencil"), with the user
    /// name in the first message as the RFC has it.
    #[test]
    fn rfc7677_example() {
        let scram = Scram {
            nonce: "rOprNGfwEbeRWgbNEkqO".to_string(),
            client_first_bare: "n=user,r=rOprNGfwEbeRWgbNEkqO".to_string(),
        };
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                            s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let (last, expected) = scram.finish(server_first, "pencil").unwrap();
        assert_eq!(
            last,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        expected
            .verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        assert!(expected.verify("v=AAAA").is_err());
        assert!(expected.verify("e=invalid-proof").is_err());
    }

    #[test]
    fn a_challenge_must_extend_our_nonce_and_stay_cheap() {
        let (first, scram) = Scram::start("abc");
        assert_eq!(first, "n,,n=,r=abc");
        assert!(scram.finish("r=xyz1,s=AAAA,i=4096", "p").is_err());
        assert!(scram.finish("r=abc,s=AAAA,i=4096", "p").is_err());
        assert!(scram.finish("r=abc1,s=AAAA,i=1000000000", "p").is_err());
        assert!(scram.finish("r=abc1,s=AAAA,i=0", "p").is_err());
        assert!(scram.finish("garbage", "p").is_err());
        assert!(scram.finish("r=abc1,s=AAAA,i=1", "p").is_ok());
    }
}
