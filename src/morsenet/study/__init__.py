"""Studies: a TOML description of data sets, models and training, and the runner that writes a run folder."""

from ._config import DatasetSpec as DatasetSpec
from ._config import ModelSpec as ModelSpec
from ._config import Study as Study
from ._config import bundled_studies as bundled_studies
from ._config import load_study as load_study
from ._config import parse_study as parse_study
from ._folders import Resumable as Resumable
from ._folders import load_resumable as load_resumable
from ._folders import run_dir_for as run_dir_for
from ._runner import run_study as run_study

__all__ = [
    "DatasetSpec", "ModelSpec", "Resumable", "Study", "bundled_studies", "load_resumable", "load_study",
    "parse_study", "run_dir_for", "run_study",
]  # fmt: skip
