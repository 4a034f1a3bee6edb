"""Run reports: figures/, a self-contained report.html and report.md, rebuilt from a run folder's checkpoints."""

from ._analyze import Resolutions as Resolutions
from ._build import FORMATS as FORMATS
from ._build import build_report as build_report
from ._build import check_formats as check_formats
from ._run import RunFolder as RunFolder
from ._run import read_run as read_run
from ._tables import describe_model as describe_model
from ._tables import metrics_rows as metrics_rows
from ._tables import render_metrics_table as render_metrics_table

__all__ = [
    "FORMATS",
    "Resolutions",
    "RunFolder",
    "build_report",
    "check_formats",
    "describe_model",
    "metrics_rows",
    "read_run",
    "render_metrics_table",
]
