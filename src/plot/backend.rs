//! plotters' backends with this module's text metrics, and for bitmaps its own glyph placement.
//!
//! plotters 0.3.7's `ab_glyph` text path places each glyph at the pen position without its
//! side bearing (letters run together or gap: "argum ent"), and scales bitmap text by a
//! different measure than the SVG's `font-size`, so the two files disagreed on text size.
//! Wrapping the backend fixes both without patching plotters: bitmap text is rasterised here
//! with ab_glyph at the SVG's em size and baseline, and both backends report the same text
//! extents, so the two files share one layout.

use super::font;
use ab_glyph::{point, Font, ScaleFont};
use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

pub(crate) struct Backend<DB> {
    inner: DB,
    /// Draw text as pixels here (bitmaps) rather than hand it to the backend (SVG `<text>`).
    raster_text: bool,
}

impl<DB> Backend<DB> {
    pub(crate) fn bitmap(inner: DB) -> Self {
        Backend {
            inner,
            raster_text: true,
        }
    }

    pub(crate) fn vector(inner: DB) -> Self {
        Backend {
            inner,
            raster_text: false,
        }
    }
}

type Drawn<E> = Result<(), DrawingErrorKind<E>>;

/// Em size of a plotters text style.
fn em<S: BackendTextStyle>(style: &S) -> f64 {
    style.size() / font::PLOTTERS_SIZE_PER_EM
}

/// Height plotters should reserve for a line of text: ascent plus descent, the same for every
/// string so that rows of labels line up.
fn line_height(em: f64) -> u32 {
    match font::face() {
        Ok(f) => {
            let s = f.as_scaled(font::scale(f, em));
            (s.ascent() - s.descent()).ceil() as u32
        }
        Err(_) => em.ceil() as u32,
    }
}

impl<DB: DrawingBackend> DrawingBackend for Backend<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Drawn<DB::ErrorType> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Drawn<DB::ErrorType> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Drawn<DB::ErrorType> {
        self.inner.draw_pixel(p, c)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Drawn<DB::ErrorType> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Drawn<DB::ErrorType> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Drawn<DB::ErrorType> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Drawn<DB::ErrorType> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Drawn<DB::ErrorType> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Drawn<DB::ErrorType> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<DB::ErrorType>> {
        Ok((
            font::width(text, em(style)).ceil() as u32,
            line_height(em(style)),
        ))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Drawn<DB::ErrorType> {
        if !self.raster_text {
            return self.inner.draw_text(text, style, pos);
        }
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let face = font::face().map_err(|m| DrawingErrorKind::FontError(m.into()))?;
        let em = em(style);
        let scale = font::scale(face, em);
        let f = face.as_scaled(scale);
        let width = font::width(text, em) as f32;
        // Pen origin relative to the anchor point, in the text's own (unrotated) frame.
        let x0 = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // Where plotters' SVG backend puts the baseline (`dy` of 0.76em, 0.5ex, -0.5ex), so
        // that text sits at the same place in both files.
        let ex = font::X_HEIGHT_EM * em as f32;
        let baseline = match style.anchor().v_pos {
            VPos::Top => 0.76 * em as f32,
            VPos::Center => 0.5 * ex,
            VPos::Bottom => -0.5 * ex,
        };
        let trans = style.transform();
        let (w, h) = self.inner.get_size();
        let mut pen = x0;
        let mut prev = None;
        let mut pixels: Vec<(i32, i32, f32)> = Vec::new();
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = prev {
                pen += f.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(scale, point(pen, baseline));
            pen += f.h_advance(id);
            let Some(outline) = face.outline_glyph(glyph) else {
                continue;
            };
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                pixels.push((b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32, cov));
            });
        }
        for (x, y, cov) in pixels {
            if cov <= 0.0 {
                continue;
            }
            let (x, y) = trans.transform(x, y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                let c = BackendColor {
                    alpha: color.alpha * cov.min(1.0) as f64,
                    rgb: color.rgb,
                };
                self.inner.draw_pixel((x, y), c)?;
            }
        }
        Ok(())
    }
}
