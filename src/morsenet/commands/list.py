"""`morsenet list`: data sets, model kinds (every parameter with its default and meaning), bundled studies."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
from typing import Any

HELP = "list data sets and model kinds (every parameter with its default and meaning), bundled studies and sweeps"

# One line per parameter: what it means (defaults are read from the code, never typed here).
DATASET_PARAMS = {
    "n_samples": "number of points, train and test together",
    "test_fraction": "share of the points held out as the test set",
    "seed": "seed of the data's random generator (the same seed gives the same points)",
    "disk_radius": "radius of the class-0 disk",
    "ring_inner": "inner radius of the class-1 ring",
    "ring_outer": "outer radius of the class-1 ring",
    "inner_radius": "inner radius of the class-1 ring",
    "outer_radius": "outer radius of the class-1 ring",
    "buffer": "gap between the class-0 disk (radius inner_radius - buffer) and the ring",
    "standardize": 'shift and scale every coordinate to mean 0, variance 1 (true or "train": the training '
    "part's statistics; \"all\": all points before the split, the companion code's StandardScaler)",
    "noise": "standard deviation of the Gaussian noise added to the points (square_1d: to the targets)",
    "dim": "dimension of the input space",
    "r1": "radius of the class-0 ball",
    "r2": "inner radius of the class-1 shell",
    "r3": "outer radius of the class-1 shell",
    "cube": "half side of the cube [-cube, cube]^3 the points are drawn from",
    "r_ball": "radius of the class-0 ball",
    "r_inner": "inner radius of the class-1 shell",
    "r_outer": "outer radius of the class-1 shell",
    "inner_sphere": "radius of the class-0 sphere surface",
    "outer_sphere": "radius of the class-1 sphere surface",
    "path": "CSV file with header x1,...,xn,label (0/1) or x1,...,xn,target (regression); required",
}
DATASET_MEANINGS = {
    "circles": "disk (class 0) inside a ring (class 1) in the plane: the tunnel test's data",
    "xor": "the prototype's noisy XOR: the four corners of the unit square, shifted to the origin",
    "xor_quadrants": "uniform on [-1, 1]^2, class 1 where x2^2 >= x1^2 (its zero set is a saddle)",
    "moons": "two interleaving half circles",
    "spheres": "ball (class 0) inside a spherical shell (class 1) in R^dim",
    "square_1d": "1-D regression of y = x^2 on [-1, 1]",
    "csv": "your own data from a CSV file",
    "cube_ball_shell": "ball (class 0) and spherical shell (class 1) cut from points uniform in a cube (3-D)",
    "noisy_spheres": "two sphere surfaces with radial Gaussian noise (class 0 inner, class 1 outer; 3-D)",
}
MODEL_PARAMS: dict[str, dict[str, str]] = {
    "mlp": {
        "widths": "layer widths [n, h1, ..., hL, 1]: input dimension, hidden widths, one output",
        "activation": "activation of the hidden layers (see the list of activations below)",
        "batchnorm": "BatchNorm after every hidden linear map (folded into the weights for the analyses)",
        "width": "shorthand: hidden width (with depth, instead of widths)",
        "depth": "shorthand: number of hidden layers",
        "bottleneck": "shorthand: the second-to-last hidden layer gets width 1 (the prototype's bottleneck)",
        "input_dim": "shorthand: input dimension (default: the data's)",
    },
    "resnet": {
        "input_dim": "input dimension (default: the data's)",
        "width": "width of the residual blocks",
        "blocks": "number of residual blocks h <- skip*h + residual*act(W h + b)",
        "skip": "weight of the identity (skip) connection in each block; 0 makes an MLP of constant width",
        "residual": "weight of the residual branch; small residual with skip 1 is the neural-ODE regime",
        "activation": "activation inside the residual branch",
        "batchnorm": "BatchNorm inside every residual branch",
        "input_layer": "start with h0 = act(W x + b) mapping the input to the width (false: width = input_dim)",
        "init": '"torch" (nn.Linear\'s default) or "xavier_normal" (block weights Xavier-normal, biases zero: the '
        "companion code's)",
        "init_gain": 'gain of the Xavier-normal block initialisation (init = "xavier_normal")',
        "init_scale": "factor on every initial block weight",
    },
    "neural_ode": {
        "input_dim": "input dimension (default: the data's)",
        "dim": "dimension of the ODE's state; dim > input_dim augments it (an augmented neural ODE)",
        "T": "end time of the integration",
        "steps": "fixed-step solver steps over [0, T] (a multiple of pieces)",
        "solver": '"euler" or "rk4" (fixed steps) or an adaptive torchdiffeq method (dopri5, dopri8, bosh3, '
        "fehlberg2, adaptive_heun)",
        "rtol": "relative tolerance of an adaptive solver",
        "atol": "absolute tolerance of an adaptive solver",
        "adjoint": "gradients by torchdiffeq's adjoint method",
        "augmentation": '"lift": trainable A x + a; "zero": x -> [x, 0, ..., 0] (needs dim >= input_dim)',
        "hidden_width": "0: one-layer field; m > 0: f(h) = W2 act(W1 h + b1) + b2 with m hidden units",
        "pieces": "time intervals on which the vector field's weights are constant",
        "vector_field": '"outside": f(h) = act(W h + b) (activation outside the linear map); '
        '"inside": f(h) = W act(h) + b',
        "activation": "activation of the vector field",
    },
}
MODEL_MEANINGS = {
    "mlp": "feed-forward network (the prototype's FFnet)",
    "resnet": "residual network with skip and residual scales (the companion work's regimes)",
    "neural_ode": "neural ODE: a linear lift, the flow of a piecewise-constant vector field, a linear read-out",
}


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def _fmt(value: Any) -> str:
    if value is None or value is inspect.Parameter.empty or value is dataclasses.MISSING:
        return "required"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def model_defaults(kind: str) -> dict[str, str]:
    """Parameter name -> its default as written in a study file ("required" without one)."""
    from ..models import CONFIGS, model_parameters

    fields = {f.name: f for f in dataclasses.fields(CONFIGS[kind])}
    out = {}
    for name in model_parameters(kind):
        f = fields.get(name)
        if f is not None:
            out[name] = _fmt(f.default)
        elif name == "bottleneck":
            out[name] = "false"
        elif name == "input_dim":
            out[name] = "the data's"
        else:
            out[name] = "required with the shorthand"
    if kind != "mlp" and "input_dim" in out:
        out["input_dim"] = "the data's"
    if kind == "mlp":
        out["widths"] = "required (or width and depth)"
    return out


def _param_lines(params: dict[str, str], meanings: dict[str, str]) -> list[str]:
    width = max(len(f"{k} = {v}") for k, v in params.items())
    return [f"      {f'{k} = {v}':<{width}}  {meanings.get(k, '')}".rstrip() for k, v in params.items()]


def execute(args: argparse.Namespace) -> int:
    from ..datasets import DATASETS, dataset_parameters
    from ..models import MODELS
    from ..study import bundled_studies
    from ..sweep import bundled_sweeps

    print("data sets ([[datasets]] name = ...; parameter = default  meaning):")
    for name in DATASETS:
        print(f"  {name}: {DATASET_MEANINGS.get(name, '')}".rstrip())
        params = {k: _fmt(v) for k, v in dataset_parameters(name).items()}
        print("\n".join(_param_lines(params, DATASET_PARAMS)))
    print("\nmodels ([[models]] kind = ...; parameter = default  meaning):")
    for kind in MODELS:
        print(f"  {kind}: {MODEL_MEANINGS.get(kind, '')}".rstrip())
        print("\n".join(_param_lines(model_defaults(kind), MODEL_PARAMS.get(kind, {}))))
    from ..models import ACTIVATIONS

    print(f"  activations: {', '.join(ACTIVATIONS)}")
    print("\nstudies (morsenet run NAME):")
    for name, desc in bundled_studies().items():
        print(f"  {name:14s} {desc}")
    print("\nsweeps (morsenet sweep NAME):")
    for name, desc in bundled_sweeps().items():
        print(f"  {name:14s} {desc}")
    return 0
