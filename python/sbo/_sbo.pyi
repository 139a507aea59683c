"""Type stubs of the compiled half of sbo (``sbo._sbo``); use the ``sbo`` package's API."""

import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

__version__: str

class SboError(Exception):
    """Any error sbo reports."""

class ConfigError(SboError):
    """A config field is wrong (the message names it)."""

class DataError(SboError):
    """A data file could not be read, or holds too little."""

class OutputError(SboError):
    """A run directory could not be written or read."""

class IoError(SboError):
    """A file could not be opened, read or written."""

class NumericalError(SboError):
    """A numerical method failed."""

class GpuError(SboError):
    """The GPU refused or failed."""

class EngineError(SboError):
    """An engine failed during a run."""

_Config = Union[str, os.PathLike[str], Mapping[str, Any]]
_RunReturn = Tuple[str, bool, bool, Optional[BaseException]]

def check(config: _Config) -> Dict[str, Any]: ...
def config_toml(config: _Config) -> str: ...
def run(
    config: _Config,
    out: os.PathLike[str],
    backend: Optional[str] = None,
    force: bool = False,
    threads: Optional[int] = None,
    seeds: Optional[int] = None,
    steps: Optional[int] = None,
    progress: Optional[Callable[[int, int], Any]] = None,
    checkpoint_every: Optional[float] = 60.0,
) -> _RunReturn: ...
def resume(
    run_dir: os.PathLike[str],
    threads: Optional[int] = None,
    progress: Optional[Callable[[int, int], Any]] = None,
    checkpoint_every: Optional[float] = 60.0,
) -> _RunReturn: ...
def validate(run_dir: os.PathLike[str]) -> str: ...
def read_toml(path: os.PathLike[str]) -> Dict[str, Any]: ...
def plot(run_dir: os.PathLike[str]) -> List[str]: ...
def report(run_dir: os.PathLike[str]) -> str: ...
def benchopt_csv(run_dir: os.PathLike[str], objective: str = "upper_objective") -> str: ...
def info() -> Tuple[List[Dict[str, Any]], str]: ...
def default_config() -> str: ...
