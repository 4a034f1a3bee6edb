"""The one spec layer of studies and sweeps: typed, frozen specs of data sets and models, the TOML loader,
dotted `--set` overrides, the type checker and the `--quick` limits.

Every value of a study or sweep file is checked here, once, at load: the runners trust what they get.
"""

from ._check import check_name as check_name
from ._check import check_seed as check_seed
from ._check import expect as expect
from ._load import ENTRY_TABLES as ENTRY_TABLES
from ._load import apply_override as apply_override
from ._load import apply_overrides as apply_overrides
from ._load import bundled_descriptions as bundled_descriptions
from ._load import parse_override as parse_override
from ._load import read_toml as read_toml
from ._quick import QUICK as QUICK
from ._quick import QuickLimits as QuickLimits
from ._quick import quick_dataset as quick_dataset
from ._quick import quick_overrides as quick_overrides
from ._quick import quick_train as quick_train
from ._report import MAX_RESOLUTION as MAX_RESOLUTION
from ._report import ReportSpec as ReportSpec
from ._report import check_box as check_box
from ._report import parse_report as parse_report
from ._specs import DatasetSpec as DatasetSpec
from ._specs import ModelSpec as ModelSpec
from ._specs import check_train_for_model as check_train_for_model
from ._specs import merged_train as merged_train
from ._specs import parse_datasets as parse_datasets
from ._specs import parse_models as parse_models
from ._specs import train_keys as train_keys

__all__ = [
    "ENTRY_TABLES", "MAX_RESOLUTION", "QUICK", "DatasetSpec", "ModelSpec", "QuickLimits", "ReportSpec",
    "apply_override", "apply_overrides", "bundled_descriptions", "check_box", "check_name", "check_seed", "expect",
    "check_train_for_model", "merged_train", "parse_datasets", "parse_models", "parse_override", "parse_report", "quick_dataset",
    "quick_overrides", "quick_train", "read_toml", "train_keys",
]  # fmt: skip
