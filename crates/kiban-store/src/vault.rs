//! Envelope encryption of sealed values (個人番号, second-factor secrets).
//!
//! Each municipality has its own random data key and its own keyed-hash key
//! (table `tenant_keys`), both stored only wrapped (encrypted) by the
//! service's master key, which comes from configuration and is never stored
//! in the database. A value is sealed with XChaCha20-Poly1305 under the
//! municipality's data key, with associated data naming the row it belongs
//! to (e.g. `individual_number|990019|12|1`): a sealed value copied into
//! another row, another person or another municipality does not open. Exact
//! search goes through an HMAC-SHA256 of the value under the municipality's
//! keyed-hash key, so equal values can be found without storing them.
//!
//! Sealed bytes are `version (1) || nonce (24) || ciphertext with tag`.
//!
//! Architecture invariant: the master key and the unwrapped keys live only
//! in memory (zeroed when dropped); nothing here logs a value or a key.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::query::Arg;
use crate::tenant::TenantTx;
use crate::{StoreError, now_text};

/// The format version written in front of sealed bytes.
const SEALED_VERSION: u8 = 1;
/// The key version of the keys created by this binary.
const KEY_VERSION: i64 = 1;
const NONCE_LEN: usize = 24;

/// The service's master key (32 bytes): wraps every municipality's keys.
/// Its `Debug` shows nothing of it, and it is zeroed when dropped.
#[derive(Clone)]
pub struct MasterKey(Arc<Zeroizing<[u8; 32]>>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

/// Why a master key given in configuration is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a master key is 32 bytes as 64 hex digits or Base64 (read: {0} bytes)")]
pub struct MasterKeyError(pub usize);

impl MasterKeyError {
    /// The catalogue's message for people.
    pub fn message(&self) -> kiban_core::Message {
        kiban_core::Message::MasterKeyFormat {
            length: self.0.to_string(),
        }
    }
}

impl MasterKey {
    /// Parses 32 bytes written as 64 hexadecimal digits or as Base64
    /// (standard or URL-safe, padded or not). Surrounding white space is
    /// ignored.
    pub fn parse(text: &str) -> Result<Self, MasterKeyError> {
        let text = text.trim();
        let bytes = Zeroizing::new(
            hex::decode(text)
                .ok()
                .filter(|b| b.len() == 32)
                .or_else(|| {
                    [
                        base64::engine::general_purpose::STANDARD,
                        base64::engine::general_purpose::STANDARD_NO_PAD,
                    ]
                    .iter()
                    .find_map(|e| e.decode(text).ok())
                })
                .or_else(|| {
                    [
                        base64::engine::general_purpose::URL_SAFE,
                        base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    ]
                    .iter()
                    .find_map(|e| e.decode(text).ok())
                })
                .unwrap_or_default(),
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| MasterKeyError(bytes.len()))?;
        Ok(Self(Arc::new(Zeroizing::new(key))))
    }

    /// A new random master key (for the demo and tests).
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(key.as_mut());
        Self(Arc::new(key))
    }

    /// The key as 64 hexadecimal digits, to write into a key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        let key: &[u8; 32] = &self.0;
        XChaCha20Poly1305::new(key.into())
    }
}

fn random_nonce() -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    nonce
}

fn sealing_failed(reason: &str) -> StoreError {
    StoreError::Sealing(reason.to_owned())
}

/// Encrypts `plaintext` with `cipher`, bound to `aad`.
fn seal_with(
    cipher: &XChaCha20Poly1305,
    aad: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let nonce = random_nonce();
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| sealing_failed("暗号化に失敗しました"))?;
    let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    sealed.push(SEALED_VERSION);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

/// Decrypts sealed bytes; fails when they were sealed under another key or
/// bound to another `aad` (another row), or were altered.
fn open_with(
    cipher: &XChaCha20Poly1305,
    aad: &str,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != SEALED_VERSION {
        return Err(sealing_failed("暗号化された値の形式が不正です"));
    }
    let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: aad.as_bytes(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| {
            sealing_failed(
                "暗号化された値を復号できません（鍵が違うか、値が別の行のものか、改変されています）",
            )
        })
}

/// A municipality's unwrapped keys, for the length of one transaction.
pub(crate) struct TenantKeys {
    data: XChaCha20Poly1305,
    index: Zeroizing<Vec<u8>>,
}

fn wrap_aad(municipality: &str, which: &str) -> String {
    format!("kiban-tenant-key|v{KEY_VERSION}|{municipality}|{which}")
}

impl TenantTx {
    /// The municipality's keys, created (and stored wrapped) on first use.
    async fn tenant_keys(&mut self) -> Result<TenantKeys, StoreError> {
        let master = self.master_key().cloned().ok_or(StoreError::NoMasterKey)?;
        let municipality = self.municipality();
        let select = "SELECT wrapped_data_key, wrapped_index_key FROM tenant_keys \
                      WHERE municipality_code = $1 AND key_version = $2";
        let mut row = self
            .fetch_optional(select, &[Arg::Int(KEY_VERSION)])
            .await?;
        if row.is_none() {
            let mut data = Zeroizing::new([0u8; 32]);
            let mut index = Zeroizing::new([0u8; 32]);
            rand::rng().fill_bytes(data.as_mut());
            rand::rng().fill_bytes(index.as_mut());
            let cipher = master.cipher();
            let wrapped_data = seal_with(
                &cipher,
                &wrap_aad(municipality.as_str(), "data"),
                data.as_ref(),
            )?;
            let wrapped_index = seal_with(
                &cipher,
                &wrap_aad(municipality.as_str(), "index"),
                index.as_ref(),
            )?;
            // Two first uses at once: the second waits for the first and
            // inserts nothing, then reads the first's keys.
            self.execute(
                "INSERT INTO tenant_keys (municipality_code, key_version, wrapped_data_key, wrapped_index_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[
                    Arg::Int(KEY_VERSION),
                    Arg::Bytes(wrapped_data),
                    Arg::Bytes(wrapped_index),
                    Arg::Text(now_text()),
                ],
            )
            .await?;
            row = self
                .fetch_optional(select, &[Arg::Int(KEY_VERSION)])
                .await?;
        }
        let row = row.ok_or_else(|| sealing_failed("団体の鍵を作成できませんでした"))?;
        let cipher = master.cipher();
        let data = open_with(
            &cipher,
            &wrap_aad(municipality.as_str(), "data"),
            &row.bytes(0)?,
        )
        .map_err(|_| StoreError::WrongMasterKey)?;
        let index = open_with(
            &cipher,
            &wrap_aad(municipality.as_str(), "index"),
            &row.bytes(1)?,
        )
        .map_err(|_| StoreError::WrongMasterKey)?;
        let data = XChaCha20Poly1305::new_from_slice(&data)
            .map_err(|_| sealing_failed("団体の鍵の長さが不正です"))?;
        Ok(TenantKeys { data, index })
    }

    /// Seals `plaintext` under the municipality's data key, bound to `aad`
    /// (which names the row, e.g. `individual_number|990019|12|1`).
    pub async fn seal(&mut self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let keys = self.tenant_keys().await?;
        seal_with(&keys.data, aad, plaintext)
    }

    /// Opens what [`TenantTx::seal`] sealed with the same `aad`.
    pub async fn open(
        &mut self,
        aad: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let keys = self.tenant_keys().await?;
        open_with(&keys.data, aad, sealed)
    }

    /// Opens several sealed values with one key lookup: `(aad, sealed)` in,
    /// plaintexts out in the same order.
    pub async fn open_many(
        &mut self,
        items: &[(String, Vec<u8>)],
    ) -> Result<Vec<Zeroizing<Vec<u8>>>, StoreError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let keys = self.tenant_keys().await?;
        items
            .iter()
            .map(|(aad, sealed)| open_with(&keys.data, aad, sealed))
            .collect()
    }

    /// Seals several values with one key lookup: `(aad, plaintext)` in,
    /// sealed bytes out in the same order (for bulk loads).
    pub async fn seal_many(
        &mut self,
        items: &[(String, &[u8])],
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let keys = self.tenant_keys().await?;
        items
            .iter()
            .map(|(aad, plaintext)| seal_with(&keys.data, aad, plaintext))
            .collect()
    }

    /// The keyed hashes of several values in one search domain, with one
    /// key lookup (see [`TenantTx::keyed_hash`]).
    pub async fn keyed_hashes(
        &mut self,
        domain: &str,
        values: &[&[u8]],
    ) -> Result<Vec<String>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let keys = self.tenant_keys().await?;
        values
            .iter()
            .map(|value| keyed_hash_with(&keys.index, domain, value))
            .collect()
    }

    /// The keyed hash (HMAC-SHA256 under the municipality's index key, hex)
    /// of `value` in the search domain `domain` (e.g. `individual_number`):
    /// equal values give equal hashes in one municipality only.
    pub async fn keyed_hash(&mut self, domain: &str, value: &[u8]) -> Result<String, StoreError> {
        let keys = self.tenant_keys().await?;
        keyed_hash_with(&keys.index, domain, value)
    }
}

/// HMAC-SHA256 of `value` in `domain` under `index_key`, hex.
fn keyed_hash_with(index_key: &[u8], domain: &str, value: &[u8]) -> Result<String, StoreError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(index_key)
        .map_err(|_| sealing_failed("検索用の鍵の長さが不正です"))?;
    mac.update(domain.as_bytes());
    mac.update(&[0u8]);
    mac.update(value);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_keys_parse_from_hex_and_base64_only_at_32_bytes() {
        let key = MasterKey::generate();
        let hex_text = key.to_hex();
        assert!(MasterKey::parse(&hex_text).is_ok());
        let raw = hex::decode(hex_text.as_str()).unwrap_or_default();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&raw);
        assert!(MasterKey::parse(&format!(" {b64}\n")).is_ok());
        assert!(MasterKey::parse("abcd").is_err());
        assert!(MasterKey::parse(&"ab".repeat(31)).is_err());
        assert!(MasterKey::parse("").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(***)");
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let key = MasterKey::generate();
        let cipher = key.cipher();
        let sealed = seal_with(&cipher, "row|1", b"123456789018").unwrap_or_default();
        assert!(!sealed.windows(12).any(|w| w == b"123456789018"));
        assert_eq!(
            open_with(&cipher, "row|1", &sealed)
                .map(|p| p.to_vec())
                .ok(),
            Some(b"123456789018".to_vec())
        );
        assert!(open_with(&cipher, "row|2", &sealed).is_err());
        assert!(open_with(&MasterKey::generate().cipher(), "row|1", &sealed).is_err());
        let mut altered = sealed.clone();
        if let Some(last) = altered.last_mut() {
            *last ^= 1;
        }
        assert!(open_with(&cipher, "row|1", &altered).is_err());
    }
}
