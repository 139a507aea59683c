//! One legend per figure, in a strip below the panels.
//!
//! Labels such as `n_upper=500 | tsgd[T=8]` are long and a sweep can have a dozen of them; a
//! legend inside a panel would hide exactly the curves it names. The panels of one figure show
//! the same configurations, so one shared legend (with one colour per label across all panels)
//! is both smaller and easier to match up than one per panel.

use super::style::{self, colour, fit_text, marked, text_width, LEGEND_PX};
use super::Figure;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A legend entry: lines with the same label, dash and marker setting share one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub label: String,
    pub colour: RGBColor,
    pub dashed: bool,
    pub markers: bool,
}

/// Entries in order of first appearance; the colour belongs to the label, so a configuration
/// keeps its colour in every panel even where it is dashed in one and solid in another.
pub(crate) fn entries(fig: &Figure) -> Vec<Entry> {
    let mut labels: Vec<&str> = Vec::new();
    let mut out: Vec<Entry> = Vec::new();
    for line in fig.panels.iter().flat_map(|p| &p.lines) {
        let i = labels
            .iter()
            .position(|l| *l == line.label)
            .unwrap_or_else(|| {
                labels.push(&line.label);
                labels.len() - 1
            });
        let e = Entry {
            label: line.label.clone(),
            colour: colour(i),
            dashed: line.dashed,
            markers: line.markers || marked(i),
        };
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// Whether a line's label carries markers (its own request, or the second colour cycle).
pub(crate) fn markers_of(entries: &[Entry], label: &str) -> bool {
    entries.iter().any(|e| e.label == label && e.markers)
}

/// Colour of a line's label (the same as its legend entry's).
pub(crate) fn colour_of(entries: &[Entry], label: &str) -> RGBColor {
    entries
        .iter()
        .find(|e| e.label == label)
        .map(|e| e.colour)
        .unwrap_or(RGBColor(0, 0, 0))
}

const PAD: u32 = 10;
const ROW_H: u32 = 24;
/// Line sample in front of each label.
const KEY_W: u32 = 38;
const GAP: u32 = 28;

/// Where the entries go: a grid as wide as the figure, as many columns as the longest label
/// allows, filled row by row.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub texts: Vec<String>,
    pub cols: usize,
    pub col_w: u32,
    pub height: u32,
}

pub(crate) fn layout(entries: &[Entry], width: u32) -> Layout {
    if entries.is_empty() {
        return Layout {
            texts: Vec::new(),
            cols: 1,
            col_w: width,
            height: 0,
        };
    }
    let room = width.saturating_sub(2 * PAD + KEY_W + 8).max(40);
    let texts: Vec<String> = entries
        .iter()
        .map(|e| fit_text(&e.label, LEGEND_PX, room).0)
        .collect();
    let widest = texts
        .iter()
        .map(|t| text_width(t, LEGEND_PX))
        .max()
        .unwrap_or(0);
    let col_w = KEY_W + 8 + widest + GAP;
    let cols = ((width.saturating_sub(2 * PAD) / col_w.max(1)) as usize).clamp(1, entries.len());
    let rows = entries.len().div_ceil(cols) as u32;
    Layout {
        texts,
        cols,
        col_w,
        height: rows * ROW_H + 2 * PAD,
    }
}

/// Draws the legend centred in `area`.
pub(crate) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    lay: &Layout,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if entries.is_empty() {
        return Ok(());
    }
    let (w, _) = area.dim_in_pixel();
    let used = lay.cols as u32 * lay.col_w - GAP;
    let left = (w.saturating_sub(used) / 2) as i32;
    let font = style::font(LEGEND_PX).color(&BLACK);
    for (i, (e, text)) in entries.iter().zip(&lay.texts).enumerate() {
        let x = left + (i % lay.cols) as i32 * lay.col_w as i32;
        let y = (PAD + (i / lay.cols) as u32 * ROW_H + ROW_H / 2) as i32;
        let k = KEY_W as i32;
        area.draw(&Rectangle::new(
            [(x, y - 7), (x + k, y + 7)],
            e.colour.mix(style::BAND_ALPHA).filled(),
        ))?;
        let stroke = e.colour.stroke_width(style::LINE_WIDTH + 1);
        if e.dashed {
            for s in [0, 14, 28] {
                area.draw(&PathElement::new(
                    vec![(x + s, y), ((x + s + 9).min(x + k), y)],
                    stroke,
                ))?;
            }
        } else {
            area.draw(&PathElement::new(vec![(x, y), (x + k, y)], stroke))?;
        }
        if e.markers {
            area.draw(&Circle::new((x + k / 2, y), 4, e.colour.filled()))?;
        }
        area.draw(&Text::new(
            text.clone(),
            (x + k + 8, y),
            font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}
