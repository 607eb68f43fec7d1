//! The verification code printed on each certificate, with its QR code.

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode};

/// The path under which the service confirms a certificate:
/// `GET /api/v1/certificates/verify/{code}`.
pub const VERIFY_PATH: &str = "/api/v1/certificates/verify/";

/// Why a verification code or address cannot be printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    /// The code is empty, longer than 64 characters, or has characters other
    /// than ASCII letters, digits and hyphens.
    #[error("a verification code is 1 to 64 ASCII letters, digits and hyphens")]
    InvalidCode,
    /// The service origin is not a plain `https://` or `http://` origin of at
    /// most 200 characters.
    #[error("the verification origin must be a plain https:// (or http://) origin")]
    InvalidOrigin,
}

impl VerificationError {
    /// The catalogue's message for people.
    pub fn message(&self) -> kiban_core::Message {
        match self {
            VerificationError::InvalidCode => kiban_core::Message::VerificationInvalidCode {},
            VerificationError::InvalidOrigin => kiban_core::Message::VerificationInvalidOrigin {},
        }
    }
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

    /// The QR code of the address, as SVG: one path of horizontal runs of
    /// dark modules (a compact drawing, cheap to lay out and to write into
    /// the PDF), one unit a module, with the quiet zone of four modules the
    /// standard asks for. Error correction level M (15 %).
    pub(crate) fn qr_svg(&self) -> Result<String, qrcode::types::QrError> {
        const QUIET_ZONE: usize = 4;
        let code = QrCode::with_error_correction_level(self.url.as_bytes(), EcLevel::M)?;
        let width = code.width();
        let size = width + 2 * QUIET_ZONE;
        let colors = code.into_colors();
        let mut path = String::with_capacity(width * width);
        for (y, row) in colors.chunks(width).enumerate() {
            let mut x = 0;
            while x < width {
                if row[x] == Color::Dark {
                    let start = x;
                    while x < width && row[x] == Color::Dark {
                        x += 1;
                    }
                    let run = x - start;
                    // Writing into a String cannot fail.
                    let _ = write!(
                        path,
                        "M{} {}h{run}v1h-{run}z",
                        start + QUIET_ZONE,
                        y + QUIET_ZONE
                    );
                } else {
                    x += 1;
                }
            }
        }
        Ok(format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"{size}\" height=\"{size}\"><path fill=\"#000\" d=\"{path}\"/></svg>"
        ))
    }
}
