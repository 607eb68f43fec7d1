//! The offline typst `World`: sources from the templates compiled into the
//! binary, data as a virtual JSON file, images as numbered virtual files,
//! fonts from the shared [`FontSet`]. Nothing is read from disk or network
//! while rendering and no package is ever resolved.

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};

use crate::engine::EngineInner;
use crate::error::PrintError;

/// The virtual path of the main source.
pub(crate) const MAIN_PATH: &str = "/main.typ";
/// The virtual path of the data of the documents.
pub(crate) const DATA_PATH: &str = "/data.json";
/// The virtual folder of the images of one compilation: `/assets/{n}.png`.
/// The numbers restart with each compilation, so the set of file ids typst
/// interns (for the life of the process) stays bounded.
const ASSETS_FOLDER: &str = "/assets/";

/// The main source: every compilation prints the documents of `data.json`.
const MAIN_SOURCE: &str =
    "#import \"/templates/documents.typ\": documents\n#documents(json(\"/data.json\"))\n";

/// Interns a project path as a file id.
pub(crate) fn file_id(path: &str) -> Result<FileId, PrintError> {
    let virtual_path = VirtualPath::new(path).map_err(|error| PrintError::Layout {
        message: format!("{path}: {error:?}"),
    })?;
    Ok(RootedPath::new(VirtualRoot::Project, virtual_path).intern())
}

/// The virtual path of the image numbered `index` in one compilation.
pub(crate) fn asset_path(index: usize) -> String {
    format!("{ASSETS_FOLDER}{index}.png")
}

/// The sources of the engine, parsed once.
pub(crate) struct Sources {
    main_id: FileId,
    data_id: FileId,
    main: Source,
    templates: Vec<Source>,
}

impl Sources {
    /// Parses the main source and the templates.
    pub(crate) fn new(templates: &[(&str, &str)]) -> Result<Self, PrintError> {
        let main_id = file_id(MAIN_PATH)?;
        let data_id = file_id(DATA_PATH)?;
        let main = Source::new(main_id, MAIN_SOURCE.to_string());
        let templates = templates
            .iter()
            .map(|(path, text)| Ok(Source::new(file_id(path)?, (*text).to_string())))
            .collect::<Result<Vec<_>, PrintError>>()?;
        Ok(Self {
            main_id,
            data_id,
            main,
            templates,
        })
    }

    fn source(&self, id: FileId) -> Option<&Source> {
        if id == self.main_id {
            return Some(&self.main);
        }
        self.templates.iter().find(|source| source.id() == id)
    }
}

/// The world of one compilation: the engine's fonts and templates, plus the
/// data and images of the documents being printed.
pub(crate) struct PrintWorld<'a> {
    engine: &'a EngineInner,
    data: Bytes,
    assets: &'a [Bytes],
}

impl<'a> PrintWorld<'a> {
    /// A world printing `data` (the JSON of the documents) with `assets`
    /// (the images, numbered as [`asset_path`] names them).
    pub(crate) fn new(engine: &'a EngineInner, data: Vec<u8>, assets: &'a [Bytes]) -> Self {
        Self {
            engine,
            data: Bytes::new(data),
            assets,
        }
    }

    fn asset(&self, id: FileId) -> Option<&Bytes> {
        let path = id.vpath().get_with_slash();
        let index: usize = path
            .strip_prefix(ASSETS_FOLDER)?
            .strip_suffix(".png")?
            .parse()
            .ok()?;
        self.assets.get(index)
    }
}

/// A file the world does not have: packages and real files included.
fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_without_slash().into())
}

impl World for PrintWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        self.engine.library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.engine.fonts().book()
    }

    fn main(&self) -> FileId {
        self.engine.sources().main_id
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id.root() != &VirtualRoot::Project {
            return Err(not_found(id));
        }
        self.engine
            .sources()
            .source(id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id.root() != &VirtualRoot::Project {
            return Err(not_found(id));
        }
        let sources = self.engine.sources();
        if id == sources.data_id {
            return Ok(self.data.clone());
        }
        if let Some(source) = sources.source(id) {
            return Ok(Bytes::from_string(source.clone()));
        }
        self.asset(id).cloned().ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.engine.fonts().font(index)
    }

    /// The templates never read the clock: every date on a document comes
    /// from its data, so a rendering does not depend on when it runs. Asking
    /// typst for today's date is therefore an error (there is no today).
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}
