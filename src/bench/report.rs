//! What `sbo bench` measured, as plain data (serde) and as a table for the terminal.

use super::workloads::{BenchData, NEIGHBOURS};
use serde::Serialize;
use std::fmt;

/// Which backend a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchBackend {
    Cpu,
    Gpu,
}

impl fmt::Display for BenchBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BenchBackend::Cpu => "cpu",
            BenchBackend::Gpu => "gpu",
        })
    }
}

/// One measurement: a workload at a lane count on a backend.
#[derive(Clone, Debug, Serialize)]
pub struct BenchRow {
    pub workload: String,
    pub algo: String,
    pub data: BenchData,
    pub d: usize,
    pub p: usize,
    pub batch: usize,
    pub backend: BenchBackend,
    /// The adapter name (GPU) or the CPU model.
    pub device: String,
    /// A software adapter (lavapipe): CPU emulation, not a GPU.
    pub software: bool,
    pub precision: String,
    /// Lanes asked for (rounded up to a multiple of 8).
    pub lanes: usize,
    /// Lanes actually timed (the CPU: at most `cpu_max_lanes`).
    pub measured_lanes: usize,
    pub steps: u64,
    /// `ok`, or why there is no number (`skipped: ...`, `error: ...`).
    pub status: String,
    /// Seconds of the timed stepping (t_S - t_1).
    pub seconds: Option<f64>,
    /// Seconds of the one-step run: upload, setup and two metric evaluations.
    pub overhead_s: Option<f64>,
    /// Stepping throughput, setup and metrics excluded.
    pub lane_steps_per_s: Option<f64>,
    /// End to end: lanes x steps / t_S.
    pub wall_lane_steps_per_s: Option<f64>,
    pub flops_per_lane_step: f64,
    pub bytes_per_lane_step: f64,
    pub gflops: Option<f64>,
    pub gbytes_per_s: Option<f64>,
    /// GPU rows: this throughput over the CPU's for the same workload.
    pub gpu_over_cpu: Option<f64>,
    /// Lanes that diverged in the timed run (they stop stepping; should be 0).
    pub diverged: usize,
}

/// The GPU a [`BenchReport`] measured: the engine's device.
pub type GpuFacts = crate::run::DeviceInfo;

/// Everything [`super::run_bench`] measured, as plain data (serde: `serde_json::to_string_pretty`).
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub sbo_version: String,
    /// UTC, `YYYY-MM-DD HH:MM:SS`.
    pub date: String,
    pub cpu_model: String,
    /// Logical CPUs the machine has.
    pub cpu_logical: usize,
    /// Threads the CPU runs used.
    pub cpu_threads: usize,
    /// The instruction set the CPU path's lane packs ran on (`sbo::real::simd_name`).
    pub cpu_simd: String,
    pub gpu: Option<GpuFacts>,
    /// Why there are no GPU numbers, when there are none.
    pub gpu_unavailable: Option<String>,
    pub gpu_steps: u64,
    pub cpu_steps: u64,
    pub notes: Vec<String>,
    pub rows: Vec<BenchRow>,
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// 1234567.8 -> "1.23e6"-style short numbers for the table.
fn short(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v.abs() >= 1e5 => format!("{v:.3e}"),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 1.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.3}"),
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sbo {} bench, {} UTC", self.sbo_version, self.date)?;
        writeln!(
            f,
            "cpu: {} ({} logical CPUs, {} threads used; lane packs on {})",
            self.cpu_model, self.cpu_logical, self.cpu_threads, self.cpu_simd
        )?;
        match (&self.gpu, &self.gpu_unavailable) {
            (Some(g), _) => writeln!(
                f,
                "gpu: {} ({}, {}, driver {} {}){}",
                g.name,
                g.backend,
                g.device_type,
                g.driver,
                g.driver_info,
                if g.software {
                    " -- SOFTWARE adapter: a CPU emulation, not a GPU"
                } else {
                    ""
                }
            )?,
            (None, Some(why)) => writeln!(f, "gpu: {why}")?,
            (None, None) => writeln!(f, "gpu: not measured")?,
        }
        writeln!(
            f,
            "steps: gpu {}, cpu {}; lanes = seeds x (1 + {NEIGHBOURS} neighbours)",
            self.gpu_steps, self.cpu_steps
        )?;
        writeln!(f)?;
        let header = [
            "workload",
            "backend",
            "lanes",
            "timed",
            "steps",
            "lane-steps/s",
            "GFLOP/s",
            "GB/s",
            "gpu/cpu",
            "overhead_s",
            "flop/step",
            "byte/step",
            "status",
        ];
        let mut table: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
        for r in &self.rows {
            let backend = if r.software {
                format!("{}(sw)", r.backend)
            } else {
                r.backend.to_string()
            };
            table.push(vec![
                r.workload.clone(),
                backend,
                r.lanes.to_string(),
                r.measured_lanes.to_string(),
                r.steps.to_string(),
                short(r.lane_steps_per_s),
                short(r.gflops),
                short(r.gbytes_per_s),
                r.gpu_over_cpu.map_or("-".into(), |v| format!("{v:.2}")),
                r.overhead_s.map_or("-".into(), |v| format!("{v:.3}")),
                short(Some(r.flops_per_lane_step)),
                short(Some(r.bytes_per_lane_step)),
                r.status.clone(),
            ]);
        }
        let ncol = header.len();
        let widths: Vec<usize> = (0..ncol)
            .map(|c| table.iter().map(|r| r[c].len()).max().unwrap_or(0))
            .collect();
        for row in &table {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                // Text columns left, numbers right; the last column unpadded.
                if c + 1 == ncol {
                    line.push_str(cell);
                } else if c < 2 {
                    line.push_str(&format!("{cell:<w$}", w = widths[c]));
                } else {
                    line.push_str(&format!("{cell:>w$}", w = widths[c]));
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        if !self.notes.is_empty() {
            writeln!(f)?;
            for n in &self.notes {
                writeln!(f, "note: {n}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_utc_text() {
        let d = super::utc_now();
        assert!(d.starts_with("20") && d.len() == 19, "{d}");
    }
}
