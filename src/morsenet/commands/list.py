"""`morsenet list`: data sets, model kinds and bundled studies."""

from __future__ import annotations

import argparse

HELP = "list data sets (with parameters), model kinds (with parameters) and bundled studies"


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def execute(args: argparse.Namespace) -> int:
    from ..datasets import DATASETS, dataset_parameters
    from ..models import MODELS, model_parameters
    from ..study import bundled_studies

    print("datasets:")
    for name in DATASETS:
        params = ", ".join(f"{k}={v!r}" for k, v in dataset_parameters(name).items())
        print(f"  {name:14s} {params}")
    print("models (kind = ...):")
    for kind in MODELS:
        print(f"  {kind:14s} {', '.join(model_parameters(kind))}")
    print("studies (morsenet run NAME):")
    for name, desc in bundled_studies().items():
        print(f"  {name:14s} {desc}")
    from ..sweep import bundled_sweeps

    print("sweeps (morsenet sweep NAME):")
    for name, desc in bundled_sweeps().items():
        print(f"  {name:14s} {desc}")
    return 0
