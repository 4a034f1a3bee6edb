"""Run reports: figures/, a self-contained report.html and report.md, rebuilt from a run folder's checkpoints.

Reports (the run report and the sweep report) are built as one `Document` of blocks, then written by one HTML
writer and one Markdown writer.
"""

from ._analyze import ModelAnalysis as ModelAnalysis
from ._analyze import Resolutions as Resolutions
from ._analyze import analyze_model as analyze_model
from ._build import FORMATS as FORMATS
from ._build import build_report as build_report
from ._build import check_formats as check_formats
from ._build import parse_box as parse_box
from ._compare import CompareRow as CompareRow
from ._compare import Comparison as Comparison
from ._compare import compare_runs as compare_runs
from ._compare import match_models as match_models
from ._compare import render_compare_table as render_compare_table
from ._document import Block as Block
from ._document import Bullets as Bullets
from ._document import Cell as Cell
from ._document import Code as Code
from ._document import Document as Document
from ._document import Fields as Fields
from ._document import Figure as Figure
from ._document import Paragraph as Paragraph
from ._document import Row as Row
from ._document import Section as Section
from ._document import Table as Table
from ._run import RunFolder as RunFolder
from ._run import read_run as read_run
from ._tables import describe_model as describe_model
from ._tables import metrics_rows as metrics_rows
from ._tables import render_metrics_table as render_metrics_table
from ._writers import render_html as render_html
from ._writers import render_markdown as render_markdown

__all__ = [
    "FORMATS",
    "Block",
    "Bullets",
    "Cell",
    "Code",
    "CompareRow",
    "Comparison",
    "Document",
    "Fields",
    "Figure",
    "ModelAnalysis",
    "Paragraph",
    "Resolutions",
    "Row",
    "RunFolder",
    "Section",
    "Table",
    "analyze_model",
    "build_report",
    "check_formats",
    "compare_runs",
    "describe_model",
    "match_models",
    "metrics_rows",
    "parse_box",
    "read_run",
    "render_compare_table",
    "render_html",
    "render_markdown",
    "render_metrics_table",
]
