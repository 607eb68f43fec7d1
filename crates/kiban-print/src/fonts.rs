//! Fonts: loaded once from a fixed list of directories, never from the network.

use std::path::{Path, PathBuf};

use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

use crate::error::PrintError;

/// The font family of IPAmj明朝 (`fonts-ipamj-mincho`): the MJ glyphs and the
/// Moji_Joho ideographic variation sequences. Names and addresses use it.
pub const MJ_MINCHO: &str = "IPAmjMincho";
/// The font family of IPAex明朝 (`fonts-ipaexfont-mincho`): the body text.
pub const EX_MINCHO: &str = "IPAexMincho";
/// The font family of IPAexゴシック (`fonts-ipaexfont-gothic`): titles and labels.
pub const EX_GOTHIC: &str = "IPAexGothic";

/// The directories where Debian's packages `fonts-ipamj-mincho` and
/// `fonts-ipaexfont` install the fonts (`scripts/install-fonts.sh` installs them).
pub const DEBIAN_FONT_DIRECTORIES: [&str; 3] = [
    "/usr/share/fonts/truetype/ipamj",
    "/usr/share/fonts/opentype/ipaexfont-mincho",
    "/usr/share/fonts/opentype/ipaexfont-gothic",
];

/// The font families every layout needs.
const REQUIRED_FAMILIES: [&str; 3] = [MJ_MINCHO, EX_MINCHO, EX_GOTHIC];

/// What a piece of text is, which decides the fonts it is set in (and so the
/// fonts its characters are checked against).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FontRole {
    /// Names and addresses: IPAmj明朝 first, IPAex明朝 for what it lacks.
    NameOrAddress,
    /// Everything else: IPAex明朝 first, IPAmj明朝 for what it lacks.
    Text,
}

impl FontRole {
    /// The families the templates set this kind of text in, in order.
    fn families(self) -> [&'static str; 2] {
        match self {
            FontRole::NameOrAddress => [MJ_MINCHO, EX_MINCHO],
            FontRole::Text => [EX_MINCHO, MJ_MINCHO],
        }
    }
}

/// The fonts of the engine, loaded once and shared by every rendering.
pub(crate) struct FontSet {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    /// The fonts of each role's families, by index, for the character checks.
    name_or_address: Vec<usize>,
    text: Vec<usize>,
}

impl FontSet {
    /// Loads every font file (`.ttf`, `.otf`, `.ttc`, `.otc`) found in the
    /// directories (and their subdirectories), in a stable order, and checks
    /// that the families the layouts need are there. A directory that does
    /// not exist is skipped; the check of the families reports it.
    pub(crate) fn load(directories: &[PathBuf]) -> Result<Self, PrintError> {
        let mut files = Vec::new();
        for directory in directories {
            collect_font_files(directory, &mut files)?;
        }
        let mut fonts = Vec::new();
        for path in files {
            let data = std::fs::read(&path).map_err(|source| PrintError::FontUnreadable {
                path: path.clone(),
                source,
            })?;
            fonts.extend(Font::iter(Bytes::new(data)));
        }
        let book = FontBook::from_fonts(&fonts);
        for family in REQUIRED_FAMILIES {
            if !book.contains_family(&family.to_lowercase()) {
                return Err(PrintError::FontMissing {
                    family: family.to_string(),
                    searched: directories.to_vec(),
                });
            }
        }
        let role_fonts = |role: FontRole| -> Vec<usize> {
            role.families()
                .iter()
                .flat_map(|family| {
                    book.select_family(&family.to_lowercase())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        Ok(Self {
            name_or_address: role_fonts(FontRole::NameOrAddress),
            text: role_fonts(FontRole::Text),
            book: LazyHash::new(book),
            fonts,
        })
    }

    /// The metadata of all fonts, for typst.
    pub(crate) fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }

    /// The font at an index of the book.
    pub(crate) fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }

    /// The fonts text of the role is set in.
    fn role(&self, role: FontRole) -> impl Iterator<Item = &Font> + '_ {
        let indices = match role {
            FontRole::NameOrAddress => &self.name_or_address,
            FontRole::Text => &self.text,
        };
        indices.iter().filter_map(|&index| self.fonts.get(index))
    }

    /// Whether a font of the role has a glyph for the character.
    pub(crate) fn covers(&self, role: FontRole, character: char) -> bool {
        self.role(role)
            .any(|font| font.info().coverage.contains(u32::from(character)))
    }

    /// Whether the variation sequence prints with its own glyph: the font
    /// typst sets the base character in (the first of the role's fonts that
    /// has it) must carry the sequence in its `cmap` format 14 subtable, as
    /// IPAmj明朝 does for Moji_Joho. Another font carrying the sequence does
    /// not help: typst would not fall back to it.
    pub(crate) fn covers_sequence(&self, role: FontRole, base: char, selector: char) -> bool {
        self.role(role)
            .find(|font| font.info().coverage.contains(u32::from(base)))
            .and_then(|font| ttf_parser::Face::parse(font.data(), font.index()).ok())
            .and_then(|face| face.glyph_variation_index(base, selector))
            .is_some()
    }
}

/// Whether a file name looks like a font file.
fn is_font_file(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            ["ttf", "otf", "ttc", "otc"]
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        })
}

/// Collects the font files below a directory, sorted by path.
fn collect_font_files(directory: &Path, files: &mut Vec<PathBuf>) -> Result<(), PrintError> {
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(PrintError::FontUnreadable {
                path: directory.to_path_buf(),
                source,
            });
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| PrintError::FontUnreadable {
            path: directory.to_path_buf(),
            source,
        })?;
        paths.push(entry.path());
    }
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_font_files(&path, files)?;
        } else if is_font_file(&path) {
            files.push(path);
        }
    }
    Ok(())
}
