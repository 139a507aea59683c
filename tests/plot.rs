//! Figures: hand-built figures with values a plot cannot show, and the standard figures of a
//! real (tiny) run, rendered to SVG and PNG.

use sbo::analysis::RunData;
use sbo::plot::{figure_size, plot_run, render, Figure, Line, Panel};
use std::path::Path;
use std::process::Command;

const LONG_LABEL: &str = "n_upper=500 | tsgd[T=8]";

/// Two panels on log axes fed NaN, zeros and negatives (and a band dipping below zero), a
/// panel whose only line has nothing positive, and a panel without lines.
fn awkward_figure() -> Figure {
    let t: Vec<f64> = (0..=20).map(|i| (i * 50) as f64).collect();
    let mean: Vec<f64> = t.iter().map(|t| 1e-4 * (t + 1.0).sqrt()).collect();
    let mut y = mean.clone();
    y[3] = f64::NAN;
    y[7] = 0.0;
    y[8] = -1.0;
    let lo: Vec<f64> = mean.iter().map(|m| m - 2e-3).collect();
    let hi: Vec<f64> = mean.iter().map(|m| m * 1.5).collect();
    let gap: Vec<f64> = t.iter().map(|t| 0.05 * (1.0 - t / 400.0)).collect();
    let gap_lo: Vec<f64> = gap.iter().map(|g| g - 0.01).collect();
    let gap_hi: Vec<f64> = gap.iter().map(|g| g + 0.01).collect();
    let line = |label: &str, y: Vec<f64>, band: Option<(&[f64], &[f64])>| Line {
        label: label.into(),
        x: t.clone(),
        lo: band.map(|b| b.0.to_vec()),
        hi: band.map(|b| b.1.to_vec()),
        y,
        dashed: false,
        markers: false,
    };
    Figure {
        title: "Awkward data on log axes".into(),
        panels: vec![
            Panel {
                title: "Log-log with NaN, zero and negative values".into(),
                x_label: "iterations t".into(),
                y_label: "distance".into(),
                log_x: true,
                log_y: true,
                lines: vec![
                    line("ssgd", y.clone(), Some((&lo, &hi))),
                    Line {
                        dashed: true,
                        markers: true,
                        ..line(LONG_LABEL, y.iter().map(|v| v * 3.0).collect(), None)
                    },
                ],
            },
            Panel {
                title: "Linear y, negative values allowed".into(),
                x_label: "iterations t".into(),
                y_label: "gap".into(),
                log_x: true,
                log_y: false,
                lines: vec![line("ssgd", gap.clone(), Some((&gap_lo, &gap_hi)))],
            },
            Panel {
                title: "Nothing positive on a log axis".into(),
                x_label: "t".into(),
                y_label: "y".into(),
                log_x: false,
                log_y: true,
                lines: vec![line("all negative", vec![-1.0; t.len()], None)],
            },
            Panel {
                title: "No lines at all".into(),
                ..Panel::default()
            },
        ],
        columns: 2,
    }
}

/// Every tag closes, in order (a cheap well-formedness check: no XML parser in the tree).
fn assert_tags_balance(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unterminated tag") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        if tag.starts_with('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.as_str()),
                "mismatched </{name}>"
            );
        } else {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

fn check_svg(path: &Path, texts: &[&str]) {
    let svg = std::fs::read_to_string(path).unwrap();
    let head = svg.trim_start();
    assert!(head.starts_with("<svg") || head.starts_with("<?xml"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_tags_balance(&svg);
    for t in texts {
        assert!(svg.contains(t), "{} lacks `{t}`", path.display());
    }
}

/// Width and height from the IHDR chunk, after checking the signature.
fn png_size(path: &Path) -> (u32, u32) {
    let png = std::fs::read(path).unwrap();
    assert!(png.len() > 24, "{} is truncated", path.display());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

#[test]
fn awkward_values_render_to_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let fig = awkward_figure();
    let files = render(&fig, &dir.path().join("nested/awkward")).unwrap();
    assert_eq!(files.len(), 2);
    let (svg, png) = (&files[0], &files[1]);
    assert_eq!(svg.extension().unwrap(), "svg");
    assert_eq!(png.extension().unwrap(), "png");

    check_svg(
        svg,
        &[
            "Awkward data on log axes",
            "ssgd",
            LONG_LABEL,
            "no data",
            "Nothing positive on a log axis",
        ],
    );

    let (w, h) = figure_size(&fig);
    assert_eq!(w, 2 * 700, "two columns of 700 px panels");
    assert!(
        h >= 2 * 450,
        "two rows of 450 px panels, plus title and legend"
    );
    assert_eq!(png_size(png), (w, h));
    let bytes = std::fs::metadata(png).unwrap().len();
    assert!(bytes > 20_000, "PNG of {bytes} bytes is suspiciously small");
    let svg_text = std::fs::read_to_string(svg).unwrap();
    assert!(svg_text.contains(&format!("width=\"{w}\"")));

    // To look at the result: SBO_PLOT_OUT=/some/dir cargo test --test plot
    if let Some(keep) = std::env::var_os("SBO_PLOT_OUT") {
        render(&fig, &Path::new(&keep).join("awkward")).unwrap();
    }
}

#[test]
fn a_dot_in_the_stem_is_kept_and_an_empty_figure_still_renders() {
    let dir = tempfile::tempdir().unwrap();
    let files = render(&Figure::default(), &dir.path().join("fig.v2")).unwrap();
    assert_eq!(files[0].file_name().unwrap(), "fig.v2.svg");
    assert_eq!(files[1].file_name().unwrap(), "fig.v2.png");
    assert_eq!(
        png_size(&files[1]),
        (700, figure_size(&Figure::default()).1)
    );
}

#[test]
fn lines_of_unequal_length_are_an_output_error() {
    let dir = tempfile::tempdir().unwrap();
    let fig = Figure {
        title: "bad".into(),
        panels: vec![Panel {
            lines: vec![Line {
                label: "short y".into(),
                x: vec![1.0, 2.0, 3.0],
                y: vec![1.0, 2.0],
                ..Line::default()
            }],
            ..Panel::default()
        }],
        columns: 1,
    };
    match render(&fig, &dir.path().join("bad")) {
        Err(sbo::SboError::Output { msg, .. }) => assert!(msg.contains("short y"), "{msg}"),
        other => panic!("expected an output error, got {other:?}"),
    }
}

const TINY: &str = r#"
name = "tiny-plot"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 4
n_lower = 60
n_upper = 30
n_test = 50
n_pool = 10
kappa = 10.0
[run]
steps = 20
log_every = 5
seeds = 2
neighbours = 1
backend = "cpu"
exact = true
[[algo]]
name = "ssgd"
alpha = 0.1
beta = 0.2
batch = 8
[[algo]]
name = "tsgd"
T = [1, 4]
alpha = 0.1
beta = 0.2
batch = 8
"#;

#[test]
fn a_tiny_run_gets_its_standard_figures() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tiny.toml");
    std::fs::write(&cfg, TINY).unwrap();
    let out = dir.path().join("run");
    let o = Command::new(env!("CARGO_BIN_EXE_sbo"))
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "sbo run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    let run = RunData::load(&out).unwrap();
    let stems: Vec<String> = sbo::plot::standard_figures(&run)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    // Squared loss: no accuracy; neighbours: stability; exact: convergence.
    assert_eq!(stems, ["stability", "convergence", "losses"]);

    let extra = Figure {
        title: "extra".into(),
        panels: vec![Panel::default()],
        columns: 1,
    };
    let files = plot_run(&run, vec![("extra".into(), extra)]).unwrap();
    let figures = out.join("figures");
    for stem in ["stability", "convergence", "losses", "extra"] {
        for ext in ["svg", "png"] {
            let p = figures.join(format!("{stem}.{ext}"));
            assert!(files.contains(&p), "{} not reported", p.display());
            let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            assert!(len > 1000, "{} is missing or nearly empty", p.display());
        }
    }
    assert!(!figures.join("accuracy.png").exists());
    check_svg(
        &figures.join("stability.svg"),
        &[
            "On-average argument stability",
            "population risk",
            "tsgd[T=4]",
        ],
    );
    check_svg(&figures.join("convergence.svg"), &["oracle calls"]);
    let (w, _) = png_size(&figures.join("convergence.png"));
    assert_eq!(w, 4 * 700, "four columns");
}
