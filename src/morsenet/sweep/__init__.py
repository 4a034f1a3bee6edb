"""Sweeps: a grid of data sets x architectures x training settings over many seeds, trained as ensembles
(locally or on a Dask cluster), one durable row per model, and a statistical report."""

from ._config import ANALYSES as ANALYSES
from ._config import AnalysisSettings as AnalysisSettings
from ._config import Cell as Cell
from ._config import DatasetSpec as DatasetSpec
from ._config import ModelSpec as ModelSpec
from ._config import SweepConfig as SweepConfig
from ._config import TrainingSpec as TrainingSpec
from ._config import bundled_sweeps as bundled_sweeps
from ._config import load_sweep as load_sweep
from ._config import parse_sweep as parse_sweep
from ._report import render_report as render_report
from ._report import write_report as write_report
from ._runner import SweepResult as SweepResult
from ._runner import run_sweep as run_sweep
from ._stats import rankdata as rankdata
from ._stats import rate_difference_interval as rate_difference_interval
from ._stats import spearman as spearman
from ._stats import wilson_interval as wilson_interval
from ._store import RowStore as RowStore
from ._store import write_table as write_table
from ._summary import GroupSummary as GroupSummary
from ._summary import summarize as summarize
from ._tasks import run_task as run_task
from ._tasks import weight_spectrum_stats as weight_spectrum_stats

__all__ = [
    "ANALYSES",
    "AnalysisSettings",
    "Cell",
    "DatasetSpec",
    "GroupSummary",
    "ModelSpec",
    "RowStore",
    "SweepConfig",
    "SweepResult",
    "TrainingSpec",
    "bundled_sweeps",
    "load_sweep",
    "parse_sweep",
    "rankdata",
    "rate_difference_interval",
    "render_report",
    "run_sweep",
    "run_task",
    "spearman",
    "summarize",
    "weight_spectrum_stats",
    "wilson_interval",
    "write_report",
    "write_table",
]
