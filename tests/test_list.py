"""`morsenet list`: every data-set and model parameter with its default (read from the code) and a meaning."""

import dataclasses

from morsenet.cli import main
from morsenet.commands.list import DATASET_PARAMS, MODEL_PARAMS, model_defaults
from morsenet.datasets import DATASETS, dataset_parameters
from morsenet.models import CONFIGS, MODELS, model_parameters


def test_every_parameter_has_a_meaning():
    for name in DATASETS:
        assert set(dataset_parameters(name)) <= set(DATASET_PARAMS), name
    for kind in MODELS:
        assert set(model_parameters(kind)) == set(MODEL_PARAMS[kind]), kind


def test_defaults_come_from_the_configs():
    for kind in MODELS:
        defaults = model_defaults(kind)
        for f in dataclasses.fields(CONFIGS[kind]):
            if f.default is not dataclasses.MISSING and f.name != "input_dim":
                shown = defaults[f.name]
                expected = {True: "true", False: "false"}.get(f.default) if isinstance(f.default, bool) else None
                assert shown == (expected or (f'"{f.default}"' if isinstance(f.default, str) else repr(f.default)))
    assert model_defaults("neural_ode")["vector_field"] == '"outside"'
    assert model_defaults("resnet")["skip"] == "1.0" and model_defaults("resnet")["blocks"] == "required"


def test_list_prints_defaults_and_meanings(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    node = lines.index("  neural_ode: " + "neural ODE: a linear lift, the flow of a piecewise-constant vector field, "
                       "a linear read-out")  # fmt: skip
    field = next(line for line in lines[node:] if "vector_field" in line)
    assert 'vector_field = "outside"' in field and "act(W h + b)" in field and '"inside"' in field
    circles = lines[lines.index(next(x for x in lines if x.startswith("  circles:"))) + 1 :]
    assert circles[0].split()[:3] == ["n_samples", "=", "2000"] and "number of points" in circles[0]
    for word in ("xor_quadrants", "square_1d", "csv", "mlp", "resnet", "default", "activations: tanh"):
        assert word in out
