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

/// Colour of the `i`-th distinct label: Tableau-10, cycled. Past ten labels, hues of their
/// own would sit next to Tableau's (a 14-solver study had purple beside purple); the second
/// and later cycles reuse the ten colours with markers on their lines ([`marked`]).
pub(crate) fn colour(i: usize) -> RGBColor {
    let (r, g, b) = TAB10[i % TAB10.len()];
    RGBColor(r, g, b)
}

/// Whether the `i`-th distinct label's lines carry markers: from the eleventh label on, so
/// that it differs from the label of the same colour.
pub(crate) fn marked(i: usize) -> bool {
    i >= TAB10.len()
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
