//! The verification code printed on each certificate, with its QR code.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The path under which the service confirms a certificate:
/// `GET /api/v1/certificates/verify/{code}`.
pub const VERIFY_PATH: &str = "/api/v1/certificates/verify/";

/// Why a verification code or address cannot be printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    /// The code is empty, longer than 64 characters, or has characters other
    /// than ASCII letters, digits and hyphens.
    #[error("検証コードは1〜64文字の半角英数字とハイフンで指定してください")]
    InvalidCode,
    /// The service origin is not a plain `https://` or `http://` origin of at
    /// most 200 characters.
    #[error("検証用のアドレスは https:// で始まる、空白や日本語を含まないものを指定してください")]
    InvalidOrigin,
}

/// The verification code of one certificate and the address where it can be
/// checked: `{origin}/api/v1/certificates/verify/{code}`. The QR code on the
/// certificate encodes that address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    code: String,
    url: String,
}

impl Verification {
    /// A verification code and the origin of the service (e.g.
    /// `https://kiban.example.jp`; empty for the path alone). The code is made
    /// and kept by the business that issues the certificate; the engine only
    /// prints it.
    pub fn new(code: &str, origin: &str) -> Result<Self, VerificationError> {
        let code_is_valid = !code.is_empty()
            && code.len() <= 64
            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !code_is_valid {
            return Err(VerificationError::InvalidCode);
        }
        let origin = origin.trim_end_matches('/');
        let origin_is_valid = origin.is_empty()
            || (origin.len() <= 200
                && (origin.starts_with("https://") || origin.starts_with("http://"))
                && origin.chars().all(|c| c.is_ascii_graphic()));
        if !origin_is_valid {
            return Err(VerificationError::InvalidOrigin);
        }
        Ok(Self {
            code: code.to_string(),
            url: format!("{origin}{VERIFY_PATH}{code}"),
        })
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The address that confirms the certificate.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The QR code of the address, as SVG.
    pub(crate) fn qr_svg(&self) -> Result<String, qrcode::types::QrError> {
        let code = QrCode::with_error_correction_level(self.url.as_bytes(), EcLevel::M)?;
        Ok(code
            .render::<svg::Color<'_>>()
            .quiet_zone(true)
            .module_dimensions(4, 4)
            .build())
    }
}
