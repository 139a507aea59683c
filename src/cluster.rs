//! Running a sweep on a cluster scheduler: which shard a task is (from the scheduler's
//! environment), and the Slurm job array that runs every shard plus the job that merges them.
//!
//! Owns: scheduler conventions (environment variables, sbatch scripts). Must not know: how a
//! shard runs (`job`).

use crate::error::{Result, SboError};
use crate::run::Shard;
use std::path::{Path, PathBuf};

/// The shard `spec` names: `I/N` (0-based), or `auto` / `auto/N` to take it from the
/// scheduler: Slurm's `SLURM_ARRAY_TASK_ID` (less `SLURM_ARRAY_TASK_MIN`, so `--array=1-4`
/// works too) and `SLURM_ARRAY_TASK_COUNT`, or Kubernetes' `JOB_COMPLETION_INDEX` (an Indexed
/// Job, which does not tell the count: give `auto/N`). `env` looks a variable up.
pub fn parse_shard(spec: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard> {
    let bad = |msg: String| SboError::config("--shard", msg);
    let num = |what: &str, s: &str| {
        s.trim()
            .parse::<usize>()
            .map_err(|_| bad(format!("{what} `{s}` is not a whole number")))
    };
    let (index, count) = spec.split_once('/').unwrap_or((spec, ""));
    let count = (!count.is_empty())
        .then(|| num("the count", count))
        .transpose()?;
    if index.trim() != "auto" {
        let Some(count) = count else {
            return Err(bad(format!(
                "`{spec}`: expected I/N (shard I of N, 0-based) or auto"
            )));
        };
        return Shard::new(num("the index", index)?, count);
    }
    if let Some(id) = env("SLURM_ARRAY_TASK_ID") {
        let id = num("SLURM_ARRAY_TASK_ID", &id)?;
        let min = env("SLURM_ARRAY_TASK_MIN")
            .map(|m| num("SLURM_ARRAY_TASK_MIN", &m))
            .transpose()?
            .unwrap_or(0);
        let n = match (count, env("SLURM_ARRAY_TASK_COUNT")) {
            (Some(n), _) => n,
            (None, Some(c)) => num("SLURM_ARRAY_TASK_COUNT", &c)?,
            (None, None) => {
                return Err(bad(
                    "SLURM_ARRAY_TASK_COUNT is not set: give the count as auto/N".into(),
                ))
            }
        };
        return Shard::new(id.checked_sub(min).unwrap_or(usize::MAX), n);
    }
    if let Some(i) = env("JOB_COMPLETION_INDEX") {
        let Some(n) = count else {
            return Err(bad(
                "a Kubernetes Indexed Job does not tell the shard count: give auto/N (N = \
                 completions)"
                    .into(),
            ));
        };
        return Shard::new(num("JOB_COMPLETION_INDEX", &i)?, n);
    }
    Err(bad(
        "auto needs a scheduler's task index: SLURM_ARRAY_TASK_ID (a Slurm job array) or \
         JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is not set"
            .into(),
    ))
}

/// A Slurm job array of `shards` tasks, each running one shard of a sweep, and a job that
/// merges them once all succeeded.
pub struct SlurmJob {
    /// The `sbo` binary the jobs run (an absolute path the nodes can reach).
    pub sbo: PathBuf,
    /// The sweep's config file (absolute); `None`: the built-in default study.
    pub config: Option<PathBuf>,
    pub shards: usize,
    /// The merged run directory; shards go to `OUT.shards/I`, scripts and logs to
    /// `OUT.slurm/`.
    pub out: PathBuf,
    pub name: String,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl SlurmJob {
    /// Where the shards' directories go.
    pub fn shards_dir(&self) -> PathBuf {
        with_suffix(&self.out, ".shards")
    }

    /// Where the scripts and logs go.
    pub fn scripts_dir(&self) -> PathBuf {
        with_suffix(&self.out, ".slurm")
    }

    /// The job array's script. Task I runs shard I of N (named explicitly, so that rerunning
    /// one task with `sbatch --array=I` runs the same shard). A task whose shard is complete
    /// does nothing; one whose shard has a checkpoint (the task was preempted or requeued)
    /// resumes it; a directory with neither (killed while it was being made) starts over.
    pub fn array_script(&self) -> String {
        let sbo = quote(&self.sbo.to_string_lossy());
        let shards = quote(&self.shards_dir().to_string_lossy());
        let logs = self.scripts_dir().join("shard-%a.log");
        let config = self.config.as_ref().map_or(String::new(), |c| {
            format!("{} ", quote(&c.to_string_lossy()))
        });
        format!(
            "#!/bin/bash\n\
             #SBATCH --job-name=sbo-{name}\n\
             #SBATCH --array=0-{last}\n\
             #SBATCH --output={logs}\n\
             #SBATCH --open-mode=append\n\
             #SBATCH --requeue\n\
             # One shard of the sweep per array task (written by `sbo slurm`).\n\
             set -eu\n\
             i=\"$SLURM_ARRAY_TASK_ID\"\n\
             dir={shards}/\"$i\"\n\
             if [ -f \"$dir/shard.cbor\" ]; then\n  echo \"shard $i is complete\"\n  exit 0\n\
             fi\n\
             if [ -f \"$dir/checkpoint/run.json\" ]; then\n  exec {sbo} run --quiet --resume \"$dir\"\n\
             fi\n\
             rm -rf \"$dir\"\n\
             exec {sbo} run --quiet {config}--shard \"$i/{count}\" --out \"$dir\"\n",
            name = self.name,
            count = self.shards,
            last = self.shards.saturating_sub(1),
            logs = logs.to_string_lossy(),
        )
    }

    /// The merge job's script (submitted to run after every array task succeeded).
    pub fn merge_script(&self) -> String {
        let sbo = quote(&self.sbo.to_string_lossy());
        let logs = self.scripts_dir().join("merge.log");
        let dirs: Vec<String> = (0..self.shards)
            .map(|i| quote(&self.shards_dir().join(i.to_string()).to_string_lossy()))
            .collect();
        format!(
            "#!/bin/bash\n\
             #SBATCH --job-name=sbo-{name}-merge\n\
             #SBATCH --output={logs}\n\
             # Joins the shards into one run directory (written by `sbo slurm`).\n\
             set -eu\n\
             exec {sbo} merge --force --out {out} \\\n    {dirs}\n",
            name = self.name,
            logs = logs.to_string_lossy(),
            out = quote(&self.out.to_string_lossy()),
            dirs = dirs.join(" \\\n    "),
        )
    }

    /// A script that submits the array, then the merge job depending on it, passing
    /// `sbatch_args` to both.
    pub fn submit_script(&self, sbatch_args: &[String]) -> String {
        let args: Vec<String> = sbatch_args.iter().map(|a| quote(a)).collect();
        let args = args.join(" ");
        let dir = self.scripts_dir();
        let array = quote(&dir.join("shards.sbatch").to_string_lossy());
        let merge = quote(&dir.join("merge.sbatch").to_string_lossy());
        format!(
            "#!/bin/bash\n\
             # Submits the shards as a job array and the merge job after it (written by `sbo slurm`).\n\
             set -eu\n\
             array=$(sbatch --parsable {args} {array})\n\
             array=${{array%%;*}}\n\
             merge=$(sbatch --parsable --dependency=afterok:\"$array\" --kill-on-invalid-dep=yes {args} {merge})\n\
             echo \"submitted: shards $array, merge ${{merge%%;*}}\"\n"
        )
    }

    /// Writes `shards.sbatch`, `merge.sbatch` and `submit.sh` into [`SlurmJob::scripts_dir`];
    /// returns the submit script's path.
    pub fn write(&self, sbatch_args: &[String]) -> Result<PathBuf> {
        let dir = self.scripts_dir();
        std::fs::create_dir_all(&dir).map_err(|e| SboError::io(&dir, e))?;
        let files = [
            ("shards.sbatch", self.array_script()),
            ("merge.sbatch", self.merge_script()),
            ("submit.sh", self.submit_script(sbatch_args)),
        ];
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|e| SboError::io(&path, e))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
            }
        }
        Ok(dir.join("submit.sh"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_from_the_command_line_and_the_schedulers() {
        let none = env(&[]);
        assert_eq!(
            parse_shard("2/5", &none).unwrap(),
            Shard { index: 2, count: 5 }
        );
        for bad in ["5/5", "1", "x/3", "1/0", "auto", "auto/x"] {
            assert!(parse_shard(bad, &none).is_err(), "{bad}");
        }
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            parse_shard("auto", &slurm).unwrap(),
            Shard { index: 3, count: 4 }
        );
        let from_one = env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            parse_shard("auto", &from_one).unwrap(),
            Shard { index: 3, count: 4 }
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1")]);
        assert!(parse_shard("auto", &k8s).is_err());
        assert_eq!(
            parse_shard("auto/2", &k8s).unwrap(),
            Shard { index: 1, count: 2 }
        );
    }

    #[test]
    fn scripts_quote_paths_and_chain_the_merge() {
        let j = SlurmJob {
            sbo: "/opt/sbo it's".into(),
            config: Some("/c/a.toml".into()),
            shards: 4,
            out: "/runs/x".into(),
            name: "x".into(),
        };
        let a = j.array_script();
        assert!(a.contains("#SBATCH --array=0-3"), "{a}");
        assert!(
            a.contains(r#"'/opt/sbo it'\''s' run --quiet '/c/a.toml' --shard "$i/4""#),
            "{a}"
        );
        let m = j.merge_script();
        assert!(m.contains("'/runs/x.shards/3'"), "{m}");
        let s = j.submit_script(&["--partition=debug".into()]);
        assert!(s.contains("--dependency=afterok:\"$array\""), "{s}");
        assert!(s.contains("'--partition=debug'"), "{s}");
    }
}
