//! Signing keys: ECDSA P-256, a PKCS#8 private key and an SPKI public key, both PEM.
//!
//! These are the formats openssl and cosign read (`openssl dgst -sha256 -verify release.pub`,
//! `cosign verify-blob --key release.pub`), so a bundle verifies without daactl. A private key
//! may be encrypted with a passphrase (PKCS#5 PBES2: scrypt and AES-256-CBC, which openssl 3
//! reads too). Key material never reaches a message: errors say what is wrong with a key, not
//! what is in it.

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use p256::pkcs8::{DecodePublicKey as _, EncodePublicKey as _};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The operating system's random source failed.
    #[error("the system's random number source failed")]
    Random,
    /// The key could not be written as PEM.
    #[error("the key could not be encoded as PEM")]
    Encode,
    /// An encrypted private key was given no passphrase.
    #[error("the private key is encrypted and no passphrase was given")]
    NeedsPassphrase,
    /// The passphrase does not open the key, or the encrypted key is damaged.
    #[error("the passphrase does not decrypt the private key (or the key is damaged)")]
    WrongPassphrase,
    /// Not a PEM private key of ECDSA P-256.
    #[error(
        "not an ECDSA P-256 private key in PEM (`-----BEGIN PRIVATE KEY-----` or `-----BEGIN ENCRYPTED PRIVATE KEY-----`)"
    )]
    NotPrivateKey,
    /// Not a PEM public key of ECDSA P-256.
    #[error("not an ECDSA P-256 public key in PEM (`-----BEGIN PUBLIC KEY-----`)")]
    NotPublicKey,
}

/// A private signing key.
pub struct PrivateKey {
    key: SigningKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

/// A public verifying key.
#[derive(Debug, Clone)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PrivateKey {
    /// A new random key from the operating system's random source.
    pub fn generate() -> Result<PrivateKey, KeyError> {
        let key = SigningKey::try_generate().map_err(|_| KeyError::Random)?;
        Ok(PrivateKey { key })
    }

    /// The key as PKCS#8 PEM, encrypted when a passphrase is given. The text is secret: it
    /// is wiped from memory when dropped.
    pub fn to_pem(&self, passphrase: Option<&str>) -> Result<Zeroizing<String>, KeyError> {
        match passphrase {
            Some(passphrase) => self
                .key
                .to_pkcs8_encrypted_pem(passphrase.as_bytes(), LineEnding::LF),
            None => self.key.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|_| KeyError::Encode)
    }

    /// Reads a PKCS#8 PEM key; an encrypted one needs its passphrase.
    pub fn from_pem(text: &str, passphrase: Option<&str>) -> Result<PrivateKey, KeyError> {
        let encrypted = text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----");
        let key = if encrypted {
            let passphrase = passphrase.ok_or(KeyError::NeedsPassphrase)?;
            SigningKey::from_pkcs8_encrypted_pem(text, passphrase.as_bytes())
                .map_err(|_| KeyError::WrongPassphrase)?
        } else {
            SigningKey::from_pkcs8_pem(text).map_err(|_| KeyError::NotPrivateKey)?
        };
        Ok(PrivateKey { key })
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: *self.key.verifying_key(),
        }
    }

    /// The ASN.1 DER ECDSA signature of `message`'s SHA-256 (deterministic, RFC 6979).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: DerSignature = self.key.sign(message);
        signature.as_bytes().to_vec()
    }
}

impl PublicKey {
    /// Reads an SPKI PEM public key.
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        let key = VerifyingKey::from_public_key_pem(text).map_err(|_| KeyError::NotPublicKey)?;
        Ok(PublicKey { key })
    }

    /// The key as SPKI PEM.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| KeyError::Encode)
    }

    /// Whether `signature` (ASN.1 DER) signs `message`'s SHA-256 with this key.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        DerSignature::try_from(signature).is_ok_and(|sig| self.key.verify(message, &sig).is_ok())
    }

    /// The key's identifier: the SHA-256 of its DER encoding, hex, as in a DSSE `keyid`.
    pub fn id(&self) -> String {
        let der = self
            .key
            .to_public_key_der()
            .map(|doc| doc.as_bytes().to_vec())
            .unwrap_or_default();
        super::hex(&Sha256::digest(der))
    }
}
