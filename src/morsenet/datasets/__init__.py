"""Data sets: the prototype's disk-inside-ring set, XOR variants, moons, n-D spheres, 1-D x^2 and CSV files."""

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import MorsenetError
from ._base import Dataset as Dataset
from ._base import DiskRing as DiskRing
from ._csv import load_csv as load_csv
from ._generators import make_circles as make_circles
from ._generators import make_moons as make_moons
from ._generators import make_spheres as make_spheres
from ._generators import make_square_1d as make_square_1d
from ._generators import make_xor as make_xor
from ._generators import make_xor_quadrants as make_xor_quadrants

DATASETS: dict[str, Callable[..., Dataset]] = {
    "circles": make_circles,
    "xor": make_xor,
    "xor_quadrants": make_xor_quadrants,
    "moons": make_moons,
    "spheres": make_spheres,
    "square_1d": make_square_1d,
    "csv": load_csv,
}


def dataset_parameters(name: str) -> dict[str, Any]:
    """The keyword parameters (with defaults) that the generator `name` accepts."""
    fn = DATASETS[name]
    return {
        p.name: (None if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(fn).parameters.values()
    }


def get_dataset(name: str, **params: Any) -> Dataset:
    """Build the data set `name` with `params`; unknown names and keys raise `MorsenetError`."""
    if name not in DATASETS:
        raise MorsenetError(f"unknown dataset {name!r}; choose one of {', '.join(sorted(DATASETS))}")
    allowed = dataset_parameters(name)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise MorsenetError(f"dataset {name!r} has no parameter {unknown[0]!r}; allowed: {', '.join(allowed)}")
    try:
        return DATASETS[name](**params)
    except TypeError as err:
        raise MorsenetError(f"dataset {name!r}: {err}") from None


__all__ = [
    "DATASETS",
    "Dataset",
    "DiskRing",
    "dataset_parameters",
    "get_dataset",
    "load_csv",
    "make_circles",
    "make_moons",
    "make_spheres",
    "make_square_1d",
    "make_xor",
    "make_xor_quadrants",
]
