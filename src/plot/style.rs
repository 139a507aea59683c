//! Sizes, fonts and colours shared by every figure, so that figures from different runs (and
//! the panels of one figure) can be compared side by side.

use plotters::style::{FontDesc, FontFamily, FontStyle, RGBColor};

/// One panel: wide enough for four 7-tick axes side by side in a report, tall enough for a
/// rotated axis label of ~45 characters.
pub(crate) const PANEL_W: u32 = 700;
pub(crate) const PANEL_H: u32 = 450;
/// Strip above the panels for the figure title.
pub(crate) const TITLE_H: u32 = 46;

/// Text sizes: em in pixels (CSS `font-size`).
pub(crate) const FIGURE_TITLE_PX: f64 = 24.0;
pub(crate) const PANEL_TITLE_PX: f64 = 18.0;
pub(crate) const AXIS_LABEL_PX: f64 = 15.0;
pub(crate) const TICK_PX: f64 = 14.0;
pub(crate) const LEGEND_PX: f64 = 15.0;
/// Smallest size a title or label shrinks to before it is cut short instead.
pub(crate) const MIN_PX: f64 = 11.0;

pub(crate) const LINE_WIDTH: u32 = 2;
/// Opacity of a 95% band: light enough that overlapping bands and every line stay visible.
pub(crate) const BAND_ALPHA: f64 = 0.18;

/// The plotters font for text with an em of `px` pixels.
pub(crate) fn font(px: f64) -> FontDesc<'static> {
    FontDesc::new(
        FontFamily::SansSerif,
        px * super::font::PLOTTERS_SIZE_PER_EM,
        FontStyle::Normal,
    )
}

/// Tableau-10: distinct for the first ten configurations, and for the most common forms of
/// colour blindness in the first few.
const TAB10: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// Colour of the `i`-th distinct label. Past ten, hues step by the golden angle so that
/// neighbours in the legend stay apart, at two lightness levels.
pub(crate) fn colour(i: usize) -> RGBColor {
    if let Some(&(r, g, b)) = TAB10.get(i) {
        return RGBColor(r, g, b);
    }
    let j = i - TAB10.len();
    let h = (j as f64 * 137.508) % 360.0;
    let l = if j.is_multiple_of(2) { 0.42 } else { 0.58 };
    hsl(h, 0.65, l)
}

fn hsl(h: f64, s: f64, l: f64) -> RGBColor {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let u = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    RGBColor(u(r), u(g), u(b))
}

/// `text` at the largest size from `px` down to [`MIN_PX`] that fits in `width` pixels, cut
/// short with an ellipsis if even that is too wide. Titles and labels come from user
/// configuration (variant names can be long), and overflowing text would run into the
/// neighbouring panel.
pub(crate) fn fit_text(text: &str, px: f64, width: u32) -> (String, f64) {
    let w = |t: &str, px: f64| text_width(t, px);
    let mut size = px;
    while size > MIN_PX && w(text, size) > width {
        size -= 1.0;
    }
    if w(text, size) <= width {
        return (text.to_string(), size);
    }
    // Binary search on the number of characters kept: labels can be arbitrarily long.
    let chars: Vec<char> = text.chars().collect();
    let cut = |n: usize| chars[..n].iter().collect::<String>() + "…";
    let (mut ok, mut bad) = (0usize, chars.len());
    while bad - ok > 1 {
        let mid = (ok + bad) / 2;
        if w(&cut(mid), size) <= width {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    (if ok == 0 { String::new() } else { cut(ok) }, size)
}

/// Width of `text` in pixels at `px`.
pub(crate) fn text_width(text: &str, px: f64) -> u32 {
    super::font::width(text, px).ceil() as u32
}
