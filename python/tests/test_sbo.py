"""The Python package against the command line and against benchopt's reader.

Run with the wheel installed: ``pytest python/tests``. ``SBO_BIN`` names the command-line
binary to compare with (default: ``target/release/sbo`` of this repository).
"""

import _thread
import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = pytest.importorskip("tomli")

import sbo

ROOT = Path(__file__).resolve().parents[2]
SBO_BIN = Path(os.environ.get("SBO_BIN", ROOT / "target" / "release" / "sbo"))

TOML = """
name = "py"
[problem]
preset = "sc-sc"
lam_y = 0.01
[data]
kind = "synthetic"
d = 4
n_lower = 80
n_upper = 30
n_test = 40
n_pool = 20
kappa = 10.0
[vary]
"data.n_upper" = [20, 30]
[run]
steps = 40
log_every = 5
seeds = 3
neighbours = 2
exact = true
backend = "cpu"
threads = 2
[report]
plots = false
[[algo]]
name = "ssgd"
label = "odd, \\"quoted\\" label"
alpha = [0.05, 0.1]
beta = 0.1
batch = 8
[[algo]]
name = "ssaid"
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = 8
"""


def timeless(df: pd.DataFrame) -> pd.DataFrame:
    """A table without its wall-clock parts (the `seconds` metric)."""
    if "metric" in df.columns:
        df = df[df["metric"] != "seconds"]
    return df.drop(columns=[c for c in df.columns if c == "seconds"]).reset_index(drop=True)


def assert_same_tables(a: sbo.Result, b: sbo.Result) -> None:
    for name in ("metrics", "seeds", "lanes"):
        pd.testing.assert_frame_equal(
            timeless(getattr(a, name)), timeless(getattr(b, name)), check_exact=True, obj=name
        )


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> sbo.Result:
    return sbo.run(TOML, out=tmp_path_factory.mktemp("r") / "run", progress=False)


def test_dict_toml_text_and_path_give_identical_tables(result, tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(TOML)
    as_dict = tomllib.loads(TOML)
    assert_same_tables(result, sbo.run(as_dict, progress=False))
    assert_same_tables(result, sbo.run(path, progress=False))
    assert_same_tables(result, sbo.run(str(path), progress=False))
    assert result.complete and result.summary["name"] == "py"
    assert len(result.summary["configs"]) == 6


def _csv_cell(text: str):
    try:
        return float(text)
    except ValueError:
        return text


@pytest.mark.skipif(not SBO_BIN.exists(), reason=f"no sbo binary at {SBO_BIN}")
def test_tables_equal_the_command_lines_csv_files(result, tmp_path):
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(TOML)
    out = tmp_path / "cli"
    subprocess.run([str(SBO_BIN), "run", str(cfg), "--out", str(out), "-q"], check=True)
    for name in ("metrics", "seeds", "lanes"):
        # An independent reading of the file: the csv module and float().
        with open(out / f"{name}.csv", newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        df = getattr(result, name)
        assert list(df.columns) == header, name
        assert len(df) == len(body), name
        keep = [i for i, h in enumerate(header) if h != "seconds"]
        for r, row in enumerate(body):
            if name == "metrics" and row[header.index("metric")] == "seconds":
                continue
            for i in keep:
                want, got = _csv_cell(row[i]), df.iat[r, i]
                if isinstance(want, float) and math.isnan(want) or row[i] == "":
                    assert pd.isna(got), (name, r, header[i], row[i], got)
                elif isinstance(want, float):
                    assert float(got) == want, (name, r, header[i], row[i], got)
                else:
                    assert str(got) == want, (name, r, header[i], row[i], got)


def test_load_round_trips(result):
    again = sbo.load(result.dir)
    for name in ("metrics", "seeds", "lanes"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(again, name), check_exact=True)
    assert again.summary == result.summary
    assert again.config["run"]["seeds"] == 3


def test_errors_raise_their_kind_with_the_message(tmp_path):
    with pytest.raises(sbo.ConfigError, match="algo\\[0\\].beta"):
        sbo.run(TOML.replace("beta = 0.1\nbatch", "beta = -0.1\nbatch", 1), progress=False)
    with pytest.raises(sbo.ConfigError, match="sedes"):
        sbo.check(TOML.replace("seeds = 3", "sedes = 3"))
    # (Without [vary]: an error in preparing a variant is reported as that variant's config.)
    missing = TOML.replace('kind = "synthetic"', 'kind = "libsvm"\ntrain = "nope.svm"').replace(
        '[vary]\n"data.n_upper" = [20, 30]\n', ""
    )
    with pytest.raises(sbo.IoError, match="nope.svm"):
        sbo.run(missing, progress=False)
    bad = tmp_path / "bad.svm"
    bad.write_text("1 1:0.5 2:1\n-1 1:0.2 x:3\n")
    malformed = missing.replace('train = "nope.svm"', f'train = "{bad}"\ndim = 2')
    with pytest.raises(sbo.DataError, match="bad.svm:2"):
        sbo.run(malformed, progress=False)
    out = tmp_path / "taken"
    out.mkdir()
    (out / "x").write_text("x")
    with pytest.raises(sbo.OutputError, match="exists and is not empty"):
        sbo.run(TOML, out=out, progress=False)
    with pytest.raises(sbo.IoError, match="nothing"):
        sbo.load(tmp_path / "nothing")
    assert issubclass(sbo.ConfigError, sbo.SboError)
    with pytest.raises(TypeError):
        sbo.run(42, progress=False)


def test_check_and_info():
    c = sbo.check(TOML)
    assert c["run"]["seeds"] == 3 and "vary" in c
    i = sbo.info()
    assert "auto" in i and isinstance(i["adapters"], list)
    assert "[[algo]]" in sbo.default_config()


def test_keyboard_interrupt_keeps_what_completed_and_resume_finishes_it(tmp_path):
    # Long enough (400 logging steps) for the interrupt to land mid-run.
    whole = sbo.run(TOML, steps=2000, progress=False)
    out = tmp_path / "interrupted"
    calls = []

    def progress(done, total):
        calls.append(done)
        if done > 0 and len(calls) < 3:
            _thread.interrupt_main()  # as Ctrl-C would

    with pytest.raises(sbo.Interrupted) as e:
        sbo.run(TOML, out=out, steps=2000, progress=progress, checkpoint_every=0)
    partial = e.value.result
    assert isinstance(e.value, KeyboardInterrupt)
    assert not partial.complete
    assert partial.summary["failure"]
    # What is there is whole: every row has its seeds, and it is a prefix of the full run.
    full = timeless(whole.seeds)
    part = timeless(partial.seeds)
    assert 0 < len(part) < len(full)
    merged = part.merge(full, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()
    done = sbo.resume(out, progress=False)
    assert done.complete
    assert_same_tables(whole, done)


def test_benchopt_export_reads_back_with_benchopt(result, tmp_path):
    df = result.to_benchopt()
    expected = len(result.seeds)
    assert len(df) == expected
    for col in (
        "objective_name",
        "solver_name",
        "dataset_name",
        "idx_rep",
        "stop_val",
        "time",
        "objective_value",
        "objective_dist_xy",
        "p_solver_alpha",
        "p_dataset_data_n_upper",
    ):
        assert col in df.columns, col
    assert sorted(df["idx_rep"].unique()) == [0, 1, 2]
    pd.testing.assert_series_equal(
        df["objective_value"], df["objective_upper_objective"], check_names=False
    )
    benchopt_results = pytest.importorskip("benchopt.results")
    for suffix in (".csv", ".parquet"):
        path = sbo.export(result.dir, out=tmp_path / f"bench{suffix}")
        back = benchopt_results.read_results(path)
        assert len(back) == expected, suffix
        assert {"dataset_name", "solver_name", "objective_value", "idx_rep"} <= set(back.columns)
        assert set(back["solver_name"]) == set(df["solver_name"])
    # benchopt's own objective curve (what `benchopt plot` draws first) of the table read back.
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from benchopt.plotting.default_plots import ObjectiveCurvePlot
    from benchopt.plotting.generate_matplotlib import get_plot_scatter
    from benchopt.plotting.helpers import update_plot_data_style

    back = benchopt_results.read_results(tmp_path / "bench.parquet")
    plot = ObjectiveCurvePlot()
    for dataset in back["dataset_name"].unique():
        sel = dict(
            dataset=dataset,
            objective=back["objective_name"].iloc[0],
            objective_column="objective_value",
            X_axis="Iteration",
        )
        curves = plot.plot(back, **sel)
        want = back[back["dataset_name"] == dataset]["solver_name"].nunique()
        assert len(curves) == want and all(len(c["x"]) == 9 for c in curves), dataset
        data = {"curve": {"k": {"type": "scatter", "data": curves, **plot.get_metadata(back, **sel)}}}
        styled = update_plot_data_style(data, plotly=False)["curve"]["k"]
        get_plot_scatter(styled).savefig(tmp_path / "curve.png")
    # `benchopt plot` itself (its HTML report; its matplotlib figures are drawn above, in
    # process, which is much faster than `--no-html`) from a benchmark directory that holds
    # the exported file in its outputs/.
    bench = tmp_path / "bench"
    (bench / "outputs").mkdir(parents=True)
    (bench / "objective.py").write_text(STUB_OBJECTIVE)
    sbo.export(result.dir, out=bench / "outputs" / "sbo.parquet")
    done = subprocess.run(
        [sys.executable, "-m", "benchopt", "plot", ".", "-f", "outputs/sbo.parquet", "--no-display"],
        cwd=bench,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert list((bench / "outputs").glob("*.html"))
    with pytest.raises(sbo.ConfigError, match="not measured"):
        result.to_benchopt("val_accuracy")


# The least benchmark `benchopt plot` accepts: an objective, no solvers or datasets.
STUB_OBJECTIVE = """
from benchopt import BaseObjective


class Objective(BaseObjective):
    name = "sbo"

    def set_data(self, **data):
        pass

    def evaluate_result(self, **result):
        return dict(value=0.0)

    def get_one_result(self):
        return dict()

    def get_objective(self):
        return dict()
"""


def test_config_values_and_text_are_kept_as_given(tmp_path):
    # The config's backend stands unless run() is given one.
    r = sbo.run(TOML.replace('backend = "cpu"', 'backend = "cpu"'), progress=False)
    assert r.summary["backend"] == "cpu"
    # A label "nan" is a label, in the tables as in the files.
    bare = (
        TOML.replace('label = "odd, \\"quoted\\" label"', 'label = "nan"')
        .replace("alpha = [0.05, 0.1]", "alpha = 0.05")
        .replace('[vary]\n"data.n_upper" = [20, 30]\n', "")
    )
    odd = sbo.run(bare, progress=False)
    assert (odd.seeds["config"] == "nan").any()
    assert (odd.to_benchopt()["solver_name"] == "nan").any()
    # A mistyped path reads as a missing file, not as TOML.
    with pytest.raises(sbo.IoError, match="typo.toml"):
        sbo.check("configs/typo.toml")
    # Paths and numpy numbers in a dict are plain values.
    np = pytest.importorskip("numpy")
    cfg = tomllib.loads(TOML)
    cfg["run"]["seeds"] = np.int64(2)
    cfg["algo"][0]["alpha"] = [np.float64(0.05)]
    assert sbo.check(cfg)["run"]["seeds"] == 2
    with pytest.raises(sbo.ConfigError, match="checkpoint_every"):
        sbo.run(TOML, checkpoint_every=-1, progress=False)


def test_an_exception_from_a_signal_handler_stops_the_run(tmp_path):
    import signal
    import time

    def handler(signum, frame):
        raise TimeoutError("took too long")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    t0 = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            sbo.run(TOML, out=tmp_path / "t", steps=400_000, progress=False)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    # Raised after the current logging interval, not at the end of the run; what is
    # complete is written.
    assert time.monotonic() - t0 < 30
    assert not sbo.load(tmp_path / "t").complete
