//! The one font every figure uses, compiled into the binary, and its text metrics.
//!
//! plotters' default text path goes through font-kit, which needs fontconfig and freetype at
//! build and run time; the `ab_glyph` path needs only font bytes. Shipping DejaVu Sans (see
//! `assets/fonts/README.md`) makes a PNG look the same on a bare CI machine as on a desktop,
//! and gives an SVG viewer with DejaVu the metrics the layout was computed with.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use plotters::style::{register_font, FontStyle};
use std::sync::OnceLock;

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the font under plotters' `sans-serif` family (the family every text style of
/// this module asks for, and the generic name SVG viewers fall back on). Idempotent and cheap
/// after the first call, so every entry point can call it rather than relying on an init step.
pub(crate) fn register() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        face()?;
        register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS)
            .map_err(|_| "the embedded DejaVu Sans font could not be parsed".to_string())
    })
    .clone()
}

pub(crate) fn face() -> Result<&'static FontRef<'static>, String> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).ok())
        .as_ref()
        .ok_or_else(|| "the embedded DejaVu Sans font could not be parsed".to_string())
}

/// plotters' text sizes are line heights: its SVG backend writes `font-size = size / 1.24`.
/// Sizes in this module are em sizes (CSS `font-size`), converted once on the way in and out.
pub(crate) const PLOTTERS_SIZE_PER_EM: f64 = 1.24;

/// DejaVu Sans's x-height in ems (OS/2 sxHeight 1120 of 2048 units): what SVG's `ex` is, used
/// to centre bitmap text the way an SVG viewer centres it.
pub(crate) const X_HEIGHT_EM: f32 = 0.547;

/// The ab_glyph scale at which text has an em of `em` pixels. (ab_glyph's own scale is the
/// ascent-to-descent height, 1.16 em for DejaVu.)
pub(crate) fn scale(font: &FontRef, em: f64) -> PxScale {
    let units = font.units_per_em().unwrap_or(2048.0);
    PxScale::from((em as f32) * font.height_unscaled() / units)
}

/// Advance width of `text` with an em of `em` pixels.
pub(crate) fn width(text: &str, em: f64) -> f64 {
    let Ok(font) = face() else {
        return 0.6 * em * text.chars().count() as f64;
    };
    let f = font.as_scaled(scale(font, em));
    let mut w = 0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            w += f.kern(p, id);
        }
        w += f.h_advance(id);
        prev = Some(id);
    }
    w as f64
}
