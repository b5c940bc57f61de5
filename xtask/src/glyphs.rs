//! Glyphs for the street map's labels: DejaVu Sans (Debian's `fonts-dejavu-core`, which
//! `scripts/setup.sh` installs) as MapLibre's signed-distance-field glyph ranges, made once into
//! `target/glyphs/` and copied into the UI as `fonts/<stack>/<start>-<end>.pbf`. The street
//! style (`ui/streets.mjs`) names these stacks.

use crate::Workspace;
use anyhow::Context;
use std::path::Path;

/// Each font stack the style names, and its font file.
const FONTS: &[(&str, &str)] = &[
    ("DejaVu Sans", "DejaVuSans.ttf"),
    ("DejaVu Sans Bold", "DejaVuSans-Bold.ttf"),
    ("DejaVu Sans Oblique", "DejaVuSans-Oblique.ttf"),
];
/// Where Debian puts them.
const FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";
/// Ranges below U+3000: Latin, Greek, Cyrillic and the other alphabets DejaVu has, with their
/// punctuation and symbols. (Chinese, Japanese and Korean are not in DejaVu.)
const BELOW: u32 = 0x3000;

/// Writes the glyphs into `dist/fonts/`, making them first if they are not made yet. Without the
/// fonts the street map still draws, without labels; the build says so.
pub fn write(ws: &Workspace, dist: &Path) -> anyhow::Result<()> {
    let cache = ws.target.join("glyphs");
    for (stack, file) in FONTS {
        let font = Path::new(FONT_DIR).join(file);
        if !font.exists() {
            println!("    {} is missing: the street map will have no labels (run scripts/setup.sh)", font.display());
            return Ok(());
        }
        let made = cache.join(stack);
        // Made from this very file: its size is the stamp.
        let stamp = made.join(".source-size");
        let size = std::fs::metadata(&font)?.len().to_string();
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(size.as_str()) {
            make(&font, &made)?;
            std::fs::write(&stamp, &size)?;
        }
        let into = dist.join("fonts").join(stack);
        std::fs::create_dir_all(&into)?;
        for entry in std::fs::read_dir(&made)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "pbf") {
                std::fs::copy(&path, into.join(path.file_name().context("a glyph file's name")?))?;
            }
        }
    }
    Ok(())
}

fn make(font: &Path, into: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let bytes = std::fs::read(font).with_context(|| format!("reading {}", font.display()))?;
    let face = glyphore_core::FontFace::parse(&bytes).with_context(|| format!("reading {}", font.display()))?;
    if into.exists() {
        std::fs::remove_dir_all(into)?;
    }
    std::fs::create_dir_all(into)?;
    let mut ranges = 0;
    for start in face.covered_ranges().into_iter().filter(|s| *s < BELOW) {
        let pbf = glyphore_core::generate_range(&face, start)
            .with_context(|| format!("glyphs {start}–{} of {}", start + 255, font.display()))?;
        std::fs::write(into.join(format!("{start}-{}.pbf", start + 255)), pbf)?;
        ranges += 1;
    }
    println!("    glyphs of {}: {ranges} ranges in {:.1} s", font.display(), started.elapsed().as_secs_f64());
    Ok(())
}
