//! Images printed on documents: the official seal (公印) and seal impressions (印影).

use std::fmt;

use typst::foundations::Bytes;
use typst::visualize::{ExchangeFormat, RasterImage};

/// Why bytes are not a PNG image that can be printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not a PNG file (its signature is missing).
    #[error("not a PNG file")]
    NotPng,
    /// A PNG the decoder cannot read (truncated, corrupt).
    #[error("the PNG cannot be decoded: {0}")]
    Undecodable(String),
    /// A PNG of width or height 0.
    #[error("the image has no pixels")]
    Empty,
}

impl ImageError {
    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            ImageError::NotPng => M::ImageNotPng {},
            ImageError::Undecodable(detail) => M::ImageUndecodable {
                detail: detail.clone(),
            },
            ImageError::Empty => M::ImageEmpty {},
        }
    }
}

/// A PNG image, decoded once to make sure it can be printed. Cheap to clone.
#[derive(Clone)]
pub struct PngImage {
    data: Bytes,
    width: u32,
    height: u32,
}

impl PngImage {
    /// Parses PNG bytes. Anything that is not a PNG the printer can decode
    /// (another format, a truncated file, a corrupt stream) is refused here,
    /// before it reaches a document.
    pub fn parse(data: Vec<u8>) -> Result<Self, ImageError> {
        const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
        if !data.starts_with(&SIGNATURE) {
            return Err(ImageError::NotPng);
        }
        let data = Bytes::new(data);
        let image = RasterImage::plain(data.clone(), ExchangeFormat::Png)
            .map_err(|error| ImageError::Undecodable(error.to_string()))?;
        if image.width() == 0 || image.height() == 0 {
            return Err(ImageError::Empty);
        }
        Ok(Self {
            width: image.width(),
            height: image.height(),
            data,
        })
    }

    /// The width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The PNG bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_slice()
    }

    pub(crate) fn data(&self) -> &Bytes {
        &self.data
    }
}

impl fmt::Debug for PngImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PngImage({}x{}, {} bytes)",
            self.width,
            self.height,
            self.data.len()
        )
    }
}
