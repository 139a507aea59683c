"""sbo: batched stochastic bilevel optimization from Python.

Many seeds, neighbouring datasets (one training or validation sample replaced) and step
sizes of a bilevel algorithm run as one batch on the CPU or a GPU; the results come back as
pandas DataFrames with the columns of the run directory's CSV files.

    import sbo
    r = sbo.run("sweep.toml")                 # or TOML text, or a dict with the same keys
    r.metrics                                  # summaries over seeds (metrics.csv)
    r.seeds                                    # per-seed values (seeds.csv)
    r.lanes                                    # final iterates (lanes.csv)
    r.to_benchopt()                            # benchopt's results schema

Ctrl-C during a run finishes the current logging interval, writes what is complete and
raises :class:`Interrupted`, whose ``result`` holds it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

import pandas as pd

from . import _sbo
from ._sbo import (
    ConfigError,
    DataError,
    EngineError,
    GpuError,
    IoError,
    NumericalError,
    OutputError,
    SboError,
)

__version__: str = _sbo.__version__

__all__ = [
    "run",
    "resume",
    "load",
    "check",
    "plot",
    "report",
    "export",
    "info",
    "default_config",
    "Result",
    "Interrupted",
    "SboError",
    "ConfigError",
    "DataError",
    "OutputError",
    "IoError",
    "NumericalError",
    "GpuError",
    "EngineError",
]

Config = Union[str, "os.PathLike[str]", Mapping[str, Any]]
Progress = Union[bool, Callable[[int, int], Any], None]

# Number columns as the CSV files write them: Rust's shortest round-trip text, `nan` (or an
# empty cell in lanes.csv) for a missing value. Read back to the same bits. Text columns
# are read as written: a label "nan" stays a label.
_NA = ["nan", ""]
_TEXT_COLUMNS = ("config", "algorithm", "metric", "status")
_BENCHOPT_NUMBERS = ("idx_rep", "stop_val", "time")

# pandas reads floats to the same bits by default from 3.0 on; before, only when asked.
_EXACT = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def _read_table(source, is_text: Callable[[str], bool]) -> pd.DataFrame:
    import io

    header = pd.read_csv(io.StringIO(source) if isinstance(source, str) else source, nrows=0)
    cols = list(header.columns)
    return pd.read_csv(
        io.StringIO(source) if isinstance(source, str) else source,
        keep_default_na=False,
        na_values={c: _NA for c in cols if not is_text(c)},
        dtype={c: str for c in cols if is_text(c)},
        **_EXACT,
    )


def _read_csv(path: Path) -> pd.DataFrame:
    return _read_table(path, lambda c: c in _TEXT_COLUMNS)


def _plain(value: Any) -> Any:
    """A config with what TOML cannot hold made plain: paths as text, numpy scalars as
    Python numbers, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run after its current logging interval, before its end.

    ``result`` holds every logging step completed (``result.complete`` is False); with
    ``out`` given, ``sbo.resume(out)`` continues the run. (A Ctrl-C that comes just as the
    run completes does not interrupt it: the complete result is returned.)
    """

    def __init__(self, result: "Result") -> None:
        super().__init__("the run was interrupted; .result holds what completed")
        self.result = result


class Result:
    """A run directory read back: tables as DataFrames, the summary and config as dicts.

    Attributes:
        dir: the run directory (a temporary one, removed with this object, when the run was
            made without ``out``: figures and reports made into it go with it).
        metrics: ``metrics.csv``: one row per configuration, logging step and metric,
            summarised over seeds (mean, std, 95 % interval, count).
        seeds: ``seeds.csv``: per-seed values, one column per metric.
        lanes: ``lanes.csv``: every lane's final iterate and status.
        summary: ``summary.json``.
        config: the resolved ``config.toml``.
    """

    def __init__(self, run_dir: Union[str, "os.PathLike[str]"], _keep: Any = None) -> None:
        self.dir = Path(run_dir)
        self._keep = _keep  # a TemporaryDirectory that must live as long as this result
        self.summary: Dict[str, Any] = json.loads(_sbo.validate(self.dir))
        self.config: Dict[str, Any] = _sbo.read_toml(self.dir / "config.toml")
        self.metrics: pd.DataFrame = _read_csv(self.dir / "metrics.csv")
        seeds = self.dir / "seeds.csv"
        self.seeds: pd.DataFrame = _read_csv(seeds) if seeds.exists() else pd.DataFrame()
        self.lanes: pd.DataFrame = _read_csv(self.dir / "lanes.csv")

    @property
    def complete(self) -> bool:
        """Whether every variant ran to its last step."""
        return bool(self.summary.get("complete", True))

    @property
    def warnings(self) -> List[str]:
        return list(self.summary.get("warnings", []))

    def metric(self, name: str) -> pd.DataFrame:
        """The summary rows of one metric (e.g. ``"dist_xy"``), one per configuration and
        logging step."""
        return self.metrics[self.metrics["metric"] == name].reset_index(drop=True)

    def to_benchopt(self, objective: str = "upper_objective") -> pd.DataFrame:
        """The run in benchopt's results schema: one row per configuration, seed and logging
        step; ``objective`` becomes ``objective_value``, every measured metric an
        ``objective_<metric>`` column. ``.to_parquet(path)`` (pyarrow) or ``.to_csv`` writes
        a file benchopt's ``read_results`` loads."""
        text = _sbo.benchopt_csv(self.dir, objective)
        numeric = lambda c: c in _BENCHOPT_NUMBERS or (  # noqa: E731
            c.startswith("objective_") and c != "objective_name"
        )
        return _read_table(text, lambda c: not numeric(c))

    def plot(self) -> List[Path]:
        """Figures (SVG and PNG) into ``dir/figures``; returns their paths."""
        return plot(self.dir)

    def report(self) -> Path:
        """``dir/report.md`` with the figures; returns its path."""
        return report(self.dir)

    def __repr__(self) -> str:
        s = self.summary
        state = "complete" if self.complete else "incomplete"
        return (
            f"<sbo.Result {s.get('name')!r}: {len(s.get('configs', []))} configuration(s), "
            f"{s.get('lanes')} lanes, {s.get('steps')} steps, {state}, {self.dir}>"
        )


class _Bar:
    """A progress display: tqdm (notebook or terminal) when installed, else one line on
    stderr redrawn at most twice a second."""

    def __init__(self) -> None:
        self._tqdm = None
        self._last = 0.0
        try:
            from tqdm.auto import tqdm

            self._tqdm_cls = tqdm
        except ImportError:
            self._tqdm_cls = None

    def __call__(self, done: int, total: int) -> None:
        if self._tqdm_cls is not None:
            if self._tqdm is None:
                self._tqdm = self._tqdm_cls(total=total, unit="lane-step", unit_scale=True)
            self._tqdm.n = done
            self._tqdm.refresh()
            return
        now = time.monotonic()
        if now - self._last < 0.5 and done < total:
            return
        self._last = now
        pct = 100.0 * done / total if total else 100.0
        sys.stderr.write(f"\rsbo: {pct:5.1f}% {done:,}/{total:,} lane-steps")
        sys.stderr.flush()

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
        elif self._last:
            sys.stderr.write("\n")


def _progress(progress: Progress):
    if progress is True:
        return _Bar()
    if progress in (False, None):
        return None
    if callable(progress):
        return progress
    raise TypeError("progress must be True, False or a callable(done, total)")


def _finish(ret, keep: Any, bar) -> "Result":
    if isinstance(bar, _Bar):
        bar.close()
    run_dir, complete, interrupted, error = ret
    result = Result(run_dir, _keep=keep)
    if interrupted:
        raise Interrupted(result)
    if error is not None:
        error.result = result
        raise error
    return result


def run(
    config: Config,
    backend: Optional[str] = None,
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
    progress: Progress = True,
    *,
    force: bool = False,
    threads: Optional[int] = None,
    seeds: Optional[int] = None,
    steps: Optional[int] = None,
    checkpoint_every: Optional[float] = 60.0,
) -> Result:
    """Runs a sweep and returns its results.

    Args:
        config: a path to a TOML file, TOML text, or a dict with the TOML file's keys.
        backend: ``"auto"`` (a hardware GPU if there is one, else the CPU), ``"gpu"`` or
            ``"cpu"``; None: the config's ``run.backend`` (whose default is auto).
        out: the run directory to write (refused if it holds anything, unless ``force``);
            without it the run goes to a temporary directory that lives as long as the
            result.
        progress: True for a progress bar, False for none, or a callable(done, total) of
            lane-steps.
        threads, seeds, steps: override ``run.threads``, ``run.seeds``, ``run.steps``.
        checkpoint_every: least seconds between checkpoints (0: every logging step; None:
            only when interrupted); ``sbo.resume(out)`` continues an interrupted run.

    Raises:
        ConfigError, DataError, OutputError, GpuError, ...: what went wrong, with the
            message the command line prints. An error after the run started carries the
            completed part as ``.result``.
        Interrupted: Ctrl-C; ``.result`` holds what completed.
    """
    keep = None
    if out is None:
        keep = tempfile.TemporaryDirectory(prefix="sbo-run-")
        out = Path(keep.name) / "run"
    bar = _progress(progress)
    try:
        ret = _sbo.run(
            _plain(config) if isinstance(config, Mapping) else config,
            Path(out),
            backend=backend,
            force=force,
            threads=threads,
            seeds=seeds,
            steps=steps,
            progress=bar,
            checkpoint_every=checkpoint_every,
        )
    finally:
        if isinstance(bar, _Bar):
            bar.close()
    return _finish(ret, keep, None)


def resume(
    run_dir: Union[str, "os.PathLike[str]"],
    progress: Progress = True,
    *,
    threads: Optional[int] = None,
    checkpoint_every: Optional[float] = 60.0,
) -> Result:
    """Continues an interrupted run from its checkpoint (on the same engine the result is
    bit for bit that of an uninterrupted run)."""
    bar = _progress(progress)
    try:
        ret = _sbo.resume(
            Path(run_dir), threads=threads, progress=bar, checkpoint_every=checkpoint_every
        )
    finally:
        if isinstance(bar, _Bar):
            bar.close()
    return _finish(ret, None, None)


def load(run_dir: Union[str, "os.PathLike[str]"]) -> Result:
    """Reads a run directory written by ``sbo run``, ``sbo merge`` or :func:`run`."""
    return Result(run_dir)


def check(config: Config) -> Dict[str, Any]:
    """Validates a config and returns it resolved (every default filled in), as a dict."""
    return _sbo.check(_plain(config) if isinstance(config, Mapping) else config)


def plot(run_dir: Union[str, "os.PathLike[str]"]) -> List[Path]:
    """Figures (SVG and PNG) of a run into ``run_dir/figures``; returns their paths."""
    return [Path(p) for p in _sbo.plot(Path(run_dir))]


def report(run_dir: Union[str, "os.PathLike[str]"]) -> Path:
    """``run_dir/report.md`` with the figures; returns its path."""
    return Path(_sbo.report(Path(run_dir)))


def export(
    run_dir: Union[str, "os.PathLike[str]"],
    format: str = "benchopt",
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
    objective: str = "upper_objective",
) -> Path:
    """Writes a run's benchopt results table: Parquet (pyarrow) when ``out`` ends in
    ``.parquet``, else CSV [default: ``run_dir/benchopt.parquet``]. Returns the path."""
    if format != "benchopt":
        raise ConfigError(f"export format `{format}`: only benchopt is known")
    run_dir = Path(run_dir)
    path = Path(out) if out is not None else run_dir / "benchopt.parquet"
    if path.suffix == ".parquet":
        load(run_dir).to_benchopt(objective).to_parquet(path, index=False)
    else:
        path.write_text(_sbo.benchopt_csv(run_dir, objective))
    return path


def info() -> Dict[str, Any]:
    """The GPU adapters wgpu finds (name, backend, driver, limits) and what ``backend="auto"``
    would choose."""
    adapters, auto = _sbo.info()
    return {"adapters": adapters, "auto": auto}


def default_config() -> str:
    """The built-in default study's TOML: a starting point for your own."""
    return _sbo.default_config()
