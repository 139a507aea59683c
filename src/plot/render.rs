//! Drawing a [`Figure`] with plotters: the same drawing code runs once on the SVG backend and
//! once on the bitmap backend, so the two files show the same thing.

use super::axis::{Axis, MAX_TICKS};
use super::backend::Backend;
use super::clean::{self, CleanPanel};
use super::legend::{self, Entry};
use super::style::*;
use super::{Figure, Panel};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Pixel layout of a figure: a title strip, a grid of equal panels, the legend strip.
pub(crate) struct Layout {
    pub width: u32,
    pub height: u32,
    rows: usize,
    cols: usize,
    title_h: u32,
    entries: Vec<Entry>,
    legend: legend::Layout,
}

pub(crate) fn layout(fig: &Figure) -> Layout {
    let n = fig.panels.len().max(1);
    let cols = fig.columns.clamp(1, n);
    let rows = n.div_ceil(cols);
    let width = cols as u32 * PANEL_W;
    let title_h = if fig.title.trim().is_empty() {
        8
    } else {
        TITLE_H
    };
    let entries = legend::entries(fig);
    let legend = legend::layout(&entries, width);
    Layout {
        width,
        height: title_h + rows as u32 * PANEL_H + legend.height,
        rows,
        cols,
        title_h,
        entries,
        legend,
    }
}

pub(crate) fn svg(fig: &Figure, lay: &Layout, path: &Path) -> Result<(), String> {
    let root = Backend::vector(SVGBackend::new(path, (lay.width, lay.height))).into_drawing_area();
    draw(&root, fig, lay).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Draws into an RGB buffer and encodes it with the `png` crate: plotters' own file encoder
/// would pull in the whole `image` crate (JPEG decoder included) for this one format.
pub(crate) fn png(fig: &Figure, lay: &Layout, path: &Path) -> Result<(), String> {
    let (w, h) = (lay.width, lay.height);
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root =
            Backend::bitmap(BitMapBackend::with_buffer(&mut rgb, (w, h))).into_drawing_area();
        draw(&root, fig, lay).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())
}

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    lay: &Layout,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let (top, rest) = root.split_vertically(lay.title_h);
    if !fig.title.trim().is_empty() {
        let (title, px) = fit_text(&fig.title, FIGURE_TITLE_PX, lay.width.saturating_sub(40));
        top.draw(&Text::new(
            title,
            ((lay.width / 2) as i32, (lay.title_h / 2) as i32 + 3),
            font(px)
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    let (grid, strip) = rest.split_vertically(lay.rows as u32 * PANEL_H);
    let cells = grid.split_evenly((lay.rows, lay.cols));
    let empty = Panel {
        title: String::new(),
        x_label: String::new(),
        y_label: String::new(),
        log_x: false,
        log_y: false,
        lines: Vec::new(),
    };
    let panels: Vec<&Panel> = if fig.panels.is_empty() {
        vec![&empty]
    } else {
        fig.panels.iter().collect()
    };
    for (cell, panel) in cells.iter().zip(panels) {
        draw_panel(cell, panel, &lay.entries)?;
    }
    legend::draw(&strip, &lay.entries, &lay.legend)
}

const MARGIN: u32 = 10;
/// Right margin: room for the last x tick label, which is centred on the frame's edge.
const MARGIN_RIGHT: u32 = 30;
/// Tick mark plus the gap between tick label and axis label.
const TICK_GAP: u32 = 14;

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    entries: &[Entry],
) -> Drawn<DB> {
    let data = clean::clean(panel);
    let (x, y) = match &data {
        Some(c) => (c.x.clone(), c.y.clone()),
        None => (Axis::placeholder(), Axis::placeholder()),
    };
    let tick_w = match &data {
        Some(_) => y.labels().iter().map(|l| text_width(l, TICK_PX)).max(),
        None => None,
    };
    let y_area = tick_w.unwrap_or(0) + 2 * TICK_GAP + AXIS_LABEL_PX as u32;
    let x_area = TICK_PX as u32 + TICK_GAP + AXIS_LABEL_PX as u32 + 12;
    let (title, title_px) = fit_text(&panel.title, PANEL_TITLE_PX, PANEL_W - 2 * MARGIN);
    let plot_w = PANEL_W.saturating_sub(y_area + MARGIN + MARGIN_RIGHT);
    let plot_h = PANEL_H.saturating_sub(x_area + 2 * MARGIN + 2 * PANEL_TITLE_PX as u32);
    let (x_label, x_px) = fit_text(&panel.x_label, AXIS_LABEL_PX, plot_w);
    let (y_label, y_px) = fit_text(&panel.y_label, AXIS_LABEL_PX, plot_h);

    let mut chart = ChartBuilder::on(area)
        .caption(title, font(title_px).color(&BLACK))
        .margin(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x, y.clone())?;
    let grey = RGBColor(60, 60, 60);
    let n_ticks = if data.is_some() { MAX_TICKS } else { 0 };
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_labels(n_ticks)
        .y_labels(n_ticks)
        .max_light_lines(10)
        .label_style(font(TICK_PX).color(&grey))
        .axis_desc_style(font(x_px.min(y_px)).color(&BLACK))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.05))
        .axis_style(grey)
        .draw()?;

    let Some(data) = data else {
        return chart.plotting_area().draw(&Text::new(
            "no data",
            (0.5, 0.5),
            font(18.0)
                .color(&RGBColor(130, 130, 130))
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ));
    };
    draw_bands(&mut chart, &data, &y, entries)?;
    draw_lines(&mut chart, &data, entries)
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Bands first, for every line, so that no band is drawn over another configuration's line.
fn draw_bands<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    data: &CleanPanel,
    y: &Axis,
    entries: &[Entry],
) -> Drawn<DB> {
    for l in &data.lines {
        let c = legend::colour_of(entries, &l.line.label);
        for run in &l.bands {
            let upper = run.iter().map(|&(x, _, hi)| (x, y.clamp(hi)));
            let lower = run.iter().rev().map(|&(x, lo, _)| (x, y.clamp(lo)));
            if run.len() >= 2 {
                let pts: Vec<(f64, f64)> = upper.chain(lower).collect();
                chart.draw_series(std::iter::once(Polygon::new(
                    pts,
                    c.mix(BAND_ALPHA).filled(),
                )))?;
            } else {
                // A lone point's interval: an error bar rather than an invisible sliver.
                let pts: Vec<(f64, f64)> = upper.chain(lower).collect();
                chart.draw_series(std::iter::once(PathElement::new(
                    pts,
                    c.mix(0.5).stroke_width(LINE_WIDTH),
                )))?;
            }
        }
    }
    Ok(())
}

fn draw_lines<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    data: &CleanPanel,
    entries: &[Entry],
) -> Drawn<DB> {
    for l in &data.lines {
        let c = legend::colour_of(entries, &l.line.label);
        let stroke = c.stroke_width(LINE_WIDTH);
        for run in &l.runs {
            if run.len() >= 2 && l.line.dashed {
                chart.draw_series(DashedLineSeries::new(run.iter().copied(), 9, 6, stroke))?;
            } else if run.len() >= 2 {
                chart.draw_series(LineSeries::new(run.iter().copied(), stroke))?;
            }
            // A lone point would be invisible as a line; show it as a marker.
            if l.line.markers || legend::markers_of(entries, &l.line.label) || run.len() == 1 {
                chart.draw_series(run.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
            }
        }
    }
    Ok(())
}
