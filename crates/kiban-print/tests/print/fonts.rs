//! Font configuration: fonts come only from the configured directories.

use kiban_print::{PrintConfig, PrintEngine, PrintError};

#[test]
fn missing_fonts_are_reported_with_the_install_script() {
    let empty = std::env::temp_dir().join(format!("kiban-print-no-fonts-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let result = PrintEngine::new(&PrintConfig {
        font_directories: vec![empty.clone(), empty.join("does-not-exist")],
        ..PrintConfig::default()
    });
    std::fs::remove_dir(&empty).unwrap();
    let Err(error) = result else {
        panic!("an engine without fonts was made");
    };
    assert!(matches!(&error, PrintError::FontMissing { family, .. } if family == "IPAmjMincho"));
    assert!(
        error.to_string().contains("scripts/install-fonts.sh"),
        "{error}"
    );
}

#[test]
fn the_default_configuration_reads_the_debian_font_directories() {
    let config = PrintConfig::default();
    assert_eq!(
        config.font_directories,
        kiban_print::DEBIAN_FONT_DIRECTORIES
            .iter()
            .map(std::path::PathBuf::from)
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_engine_is_shared_between_threads() {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<PrintEngine>();
    let engine = crate::common::engine();
    let pdfs: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|n| {
                scope.spawn(move || {
                    engine
                        .render_seal_certificate(&crate::common::seal_certificate(
                            "R7-000700",
                            &format!("THREAD-{n}"),
                        ))
                        .unwrap()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap())
            .collect()
    });
    for (n, pdf) in pdfs.iter().enumerate() {
        crate::common::assert_contains(&crate::common::pdf_text(pdf), &format!("THREAD-{n}"));
    }
}
