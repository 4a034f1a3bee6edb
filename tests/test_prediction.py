"""prediction_grid and prediction_curve: layout, probabilities, derivative zeros."""

import pytest
import torch

from morsenet import MorsenetError
from morsenet.analysis import prediction_curve, prediction_grid
from morsenet.analysis._prediction import derivative_zeros
from morsenet.models import build_model


def test_grid_of_a_hand_set_function():
    res = prediction_grid(lambda x: x[:, 0] - 2 * x[:, 1], ((-1.0, 1.0), (0.0, 1.0)), (5, 3))
    assert res.logits.shape == res.probabilities.shape == res.points.shape[:2] == (3, 5)
    torch.testing.assert_close(res.logits, res.points[..., 0] - 2 * res.points[..., 1])
    torch.testing.assert_close(res.probabilities, torch.sigmoid(res.logits))
    assert res.values is res.probabilities and res.box == ((-1.0, 1.0), (0.0, 1.0))


def test_grid_of_a_model_matches_forward_and_keeps_dtype():
    model = build_model({"kind": "mlp", "widths": [2, 3, 1], "batchnorm": True}, seed=0).double()
    res = prediction_grid(model, ((-1, 1), (-1, 1)), 6, chunk_size=7)
    assert res.logits.dtype == torch.float64 and not res.logits.requires_grad
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(res.logits, model(res.points.reshape(-1, 2)).reshape(6, 6))


def test_regression_grid_has_no_probabilities():
    res = prediction_grid(lambda x: x.pow(2).sum(1), ((-1, 1), (-1, 1)), 4, task="regression")
    assert res.probabilities is None and res.values is res.logits


def test_curve_derivative_and_zeros():
    res = prediction_curve(lambda x: (x[:, 0] - 0.3) ** 2 - 1, (-1, 1), 101, dtype=torch.float64)
    torch.testing.assert_close(res.derivative, 2 * (res.x - 0.3))
    assert res.zeros.shape == (1,)
    torch.testing.assert_close(res.zeros, torch.tensor([0.3], dtype=torch.float64))
    torch.testing.assert_close(res.zero_values, torch.tensor([-1.0], dtype=torch.float64), atol=1e-3, rtol=0)


def test_curve_of_a_1d_resnet():
    model = build_model(
        {"kind": "resnet", "input_dim": 1, "width": 1, "blocks": 2, "input_layer": False}, seed=0
    ).double()
    res = prediction_curve(model, (-1, 1), 51)
    h = 1e-6
    with torch.no_grad():
        fd = (model(res.x[:, None] + h) - model(res.x[:, None] - h)) / (2 * h)
    torch.testing.assert_close(res.derivative, fd, atol=1e-7, rtol=1e-6)


def test_derivative_zeros_exact_and_sign_changes():
    x = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    dy = torch.tensor([1.0, -1.0, 0.0, 2.0, 2.0])
    zeros, _ = derivative_zeros(x, x, dy)
    torch.testing.assert_close(zeros, torch.tensor([0.5, 2.0]))


def test_errors():
    with pytest.raises(MorsenetError, match="task"):
        prediction_grid(lambda x: x[:, 0], ((0, 1), (0, 1)), 3, task="ranking")
    with pytest.raises(MorsenetError, match="n outputs"):
        prediction_grid(lambda x: x, ((0, 1), (0, 1)), 3)
    with pytest.raises(MorsenetError, match="interval"):
        prediction_curve(lambda x: x[:, 0], (1, 1))
    model = build_model({"kind": "mlp", "widths": [3, 2, 1]}, seed=0)
    with pytest.raises(MorsenetError, match="needs a model with 2 inputs; this MLP takes 3"):
        prediction_grid(model, ((0, 1), (0, 1)), 3)
    with pytest.raises(MorsenetError, match="needs a model with 1 input"):
        prediction_curve(model, (0, 1))
