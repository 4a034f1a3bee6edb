"""Data sets: the prototype's disk-inside-ring set, XOR variants, moons, n-D spheres, 1-D x^2 and CSV files."""

import inspect
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import torch

from .._validation import check_seed_value, finite_number
from ..errors import MorsenetError
from ._base import MAX_SAMPLES as MAX_SAMPLES
from ._base import Dataset as Dataset
from ._csv import load_csv as load_csv
from ._generators import make_circles as make_circles
from ._generators import make_moons as make_moons
from ._generators import make_spheres as make_spheres
from ._generators import make_square_1d as make_square_1d
from ._generators import make_xor as make_xor
from ._generators import make_xor_quadrants as make_xor_quadrants
from ._geometry import DiskRing as DiskRing
from ._geometry import declared_geometry
from ._three_d import make_cube_ball_shell as make_cube_ball_shell
from ._three_d import make_noisy_spheres as make_noisy_spheres

DATASETS: dict[str, Callable[..., Dataset]] = {
    "circles": make_circles,
    "xor": make_xor,
    "xor_quadrants": make_xor_quadrants,
    "moons": make_moons,
    "spheres": make_spheres,
    "cube_ball_shell": make_cube_ball_shell,
    "noisy_spheres": make_noisy_spheres,
    "square_1d": make_square_1d,
    "csv": load_csv,
}


# Data sets that may declare a disk and ring (`disk_radius`, `ring`, optional `center`, original coordinates):
# every one whose points can be 2-D or 3-D and that does not record its own (circles, spheres).
GEOMETRY_KEYS = ("disk_radius", "ring", "center")
DECLARES_GEOMETRY = ("xor", "xor_quadrants", "moons", "csv")
# Data sets that record their own disk and ring, and the parameters that set it.
OWN_GEOMETRY = {
    "circles": "disk_radius, ring_inner, ring_outer",
    "spheres": "r1, r2, r3",
    "cube_ball_shell": "r_ball, r_inner, r_outer",
    "noisy_spheres": "inner_sphere, outer_sphere, noise",
}
# Generators whose points always have one dimension (the others are 2-D, or take `dim`/a file's columns).
FIXED_DIM = {"square_1d": 1, "cube_ball_shell": 3, "noisy_spheres": 3}
# The prototype's names of the circles' radii, still read (and written as the new names).
CIRCLES_OLD_KEYS = {"inner_radius": 0.5, "buffer": 0.2, "outer_radius": 1.0}


def dataset_parameters(name: str) -> dict[str, Any]:
    """The keyword parameters (with defaults) that the generator `name` accepts.

    `get_dataset` also takes the declared disk and ring (`geometry_parameters(name)`) and, for circles, the
    prototype's names of its radii (`CIRCLES_OLD_KEYS`)."""
    fn = DATASETS[name]
    return {
        p.name: (None if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(fn).parameters.values()
    }


def geometry_parameters(name: str) -> tuple[str, ...]:
    """The keys that declare a disk and ring for data set `name` (`GEOMETRY_KEYS`, default None: nothing
    declared), or () where the data set records its own (circles, spheres) or cannot have one (square_1d)."""
    return GEOMETRY_KEYS if name in DECLARES_GEOMETRY else ()


def _circles_old_keys(params: dict[str, Any]) -> dict[str, Any]:
    """`params` with the prototype's inner_radius/buffer/outer_radius turned into disk_radius/ring_inner/ring_outer."""
    old = [k for k in CIRCLES_OLD_KEYS if k in params]
    if not old:
        return params
    new = [k for k in ("disk_radius", "ring_inner", "ring_outer") if k in params]
    if new:
        raise MorsenetError(
            f"dataset 'circles': {old[0]!r} (the prototype's name) and {new[0]!r} cannot be mixed; "
            "use disk_radius, ring_inner, ring_outer"
        )
    out = {k: v for k, v in params.items() if k not in CIRCLES_OLD_KEYS}
    vals = {k: params.get(k, d) for k, d in CIRCLES_OLD_KEYS.items()}
    for k, v in vals.items():
        finite_number(f"dataset 'circles': {k}", v)
    if not 0 <= vals["buffer"] < vals["inner_radius"] < vals["outer_radius"]:
        raise MorsenetError(
            "dataset 'circles': need 0 <= buffer < inner_radius < outer_radius, got "
            f"buffer={vals['buffer']}, inner_radius={vals['inner_radius']}, outer_radius={vals['outer_radius']}"
        )
    out["disk_radius"] = vals["inner_radius"] - vals["buffer"]
    out["ring_inner"], out["ring_outer"] = vals["inner_radius"], vals["outer_radius"]
    return out


def _check_param(name: str, key: str, value: Any, default: Any) -> None:
    """The type (and finiteness) a generator's parameter takes, read off its default."""
    if key == "seed":
        if not isinstance(value, torch.Generator) and value is not None:
            check_seed_value(f"dataset {name!r}: seed", value)
    elif key == "standardize":
        if not (isinstance(value, bool) or value in ("train", "all")):
            raise MorsenetError(
                f'dataset {name!r}: standardize must be true, false, "train" or "all" (fit on all points before '
                f"the split), got {value!r}"
            )
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise MorsenetError(f"dataset {name!r}: {key} must be true or false, got {value!r}")
    elif isinstance(default, float):
        finite_number(f"dataset {name!r}: {key}", value)
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise MorsenetError(f"dataset {name!r}: {key} must be an integer, got {value!r}")
    elif key == "path" and not isinstance(value, (str, os.PathLike)):
        raise MorsenetError(f"dataset {name!r}: path must be a string (the file's path), got {value!r}")


def get_dataset(name: str, **params: Any) -> Dataset:
    """Build the data set `name` with `params`; unknown names and keys raise `MorsenetError`."""
    if name not in DATASETS:
        raise MorsenetError(f"unknown dataset {name!r}; choose one of {', '.join(sorted(DATASETS))}")
    if name == "circles":
        params = _circles_old_keys(params)
    allowed = {**dataset_parameters(name), **dict.fromkeys(geometry_parameters(name))}
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        key = unknown[0]
        if key in GEOMETRY_KEYS:
            raise MorsenetError(
                f"dataset {name!r} records its own disk and ring; {key!r} does not apply "
                f"({OWN_GEOMETRY[name]} set them)"
                if name in OWN_GEOMETRY
                else f"dataset {name!r} is 1-D; {key!r} (a declared disk and ring) needs 2-D or 3-D data"
            )
        raise MorsenetError(f"dataset {name!r} has no parameter {key!r}; allowed: {', '.join(allowed)}")
    declared = {k: params.pop(k) for k in GEOMETRY_KEYS if name in DECLARES_GEOMETRY and k in params}
    for key, value in params.items():
        _check_param(name, key, value, allowed[key])
    try:
        data = DATASETS[name](**params)
    except TypeError as err:
        raise MorsenetError(f"dataset {name!r}: {err}") from None
    geometry = declared_geometry(name, data.input_dim, *(declared.get(k) for k in GEOMETRY_KEYS))
    if geometry is None:
        return data
    record = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in declared.items() if v is not None}
    if "standardize_mean" in data.params:
        geometry = geometry.standardised(data.params["standardize_mean"], data.params["standardize_std"])
    return replace(data, geometry=geometry, params={**data.params, **record})


__all__ = [
    "DATASETS",
    "FIXED_DIM",
    "DECLARES_GEOMETRY",
    "GEOMETRY_KEYS",
    "MAX_SAMPLES",
    "Dataset",
    "DiskRing",
    "dataset_parameters",
    "geometry_parameters",
    "get_dataset",
    "load_csv",
    "make_circles",
    "make_cube_ball_shell",
    "make_moons",
    "make_noisy_spheres",
    "make_spheres",
    "make_square_1d",
    "make_xor",
    "make_xor_quadrants",
]
