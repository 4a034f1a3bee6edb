"""weight_spectra on hand-set matrices and models; ResNet block Jacobian eigenvalues against autograd."""

import pytest
import torch

from morsenet import MorsenetError
from morsenet.analysis import block_jacobian_eigenvalues, weight_spectra
from morsenet.models import build_model


def test_hand_set_matrices_with_known_rank():
    full = torch.diag(torch.tensor([3.0, 2.0]))
    rank_one = torch.tensor([[1.0, 2.0], [2.0, 4.0]])  # second row = 2 x first
    wide = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1e-3]])
    spectra = weight_spectra([full, rank_one, wide, torch.zeros(2, 2)])
    assert spectra.ranks == [2, 1, 2, 0]
    torch.testing.assert_close(spectra.layers[0].singular_values, torch.tensor([3.0, 2.0]))
    torch.testing.assert_close(spectra.layers[1].singular_values, torch.tensor([5.0, 0.0]), atol=1e-6, rtol=0)
    assert spectra.layers[0].full_rank and not spectra.layers[1].full_rank
    # an absolute tolerance declares the 1e-3 direction numerically zero
    assert weight_spectra([wide], tol=1e-2).ranks == [1]
    d = spectra.to_dict()
    assert d["layers"][1]["rank"] == 1 and d["layers"][1]["shape"] == [2, 2]


def test_model_layers_named_and_batchnorm_folded():
    model = build_model({"kind": "mlp", "widths": [2, 3, 1, 2, 1], "batchnorm": True}, seed=0).eval()
    spectra = weight_spectra(model)
    assert spectra.names == ["layer 1", "layer 2", "layer 3", "readout"]
    assert [tuple(layer.weight.shape) for layer in spectra.layers] == [(3, 2), (1, 3), (2, 1), (1, 2)]
    assert spectra.ranks == [2, 1, 1, 1]
    resnet = build_model({"kind": "resnet", "input_dim": 2, "width": 3, "blocks": 2}, seed=0)
    assert weight_spectra(resnet).names == ["input", "block 1", "block 2", "readout"]
    ode = build_model({"kind": "neural_ode", "input_dim": 2, "dim": 2, "steps": 4, "pieces": 2}, seed=0)
    assert weight_spectra(ode).names == ["lift", "field 1", "field 2", "readout"]


def test_plain_module_uses_linear_layers():
    with torch.random.fork_rng(devices=[]):  # nn.Linear initialises from the global RNG
        torch_model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        torch_model[0].weight.copy_(torch.ones(4, 2))
        torch_model[2].weight.copy_(torch.ones(1, 4))
    assert weight_spectra(torch_model).ranks == [1, 1]


def test_block_jacobian_matches_autograd():
    model = (
        build_model(
            {
                "kind": "resnet",
                "input_dim": 2,
                "width": 2,
                "blocks": 3,
                "skip": 1.0,
                "residual": 0.3,
                "batchnorm": True,
            },
            seed=4,
        )
        .eval()
        .double()
    )
    x = torch.tensor([[0.3, -0.2], [1.0, 0.5]], dtype=torch.float64)
    res = block_jacobian_eigenvalues(model, x)
    assert res.matrices.shape == (2, 3, 2, 2) and res.eigenvalues.shape == (2, 3, 2)
    for n in range(2):
        for k in range(3):
            h = model.hidden(x[n : n + 1], k + 1)[0]  # state entering block k (after the input layer)
            torch.testing.assert_close(res.states[n, k], h)
            ref = torch.autograd.functional.jacobian(lambda q: _block(model, k, q), h)
            torch.testing.assert_close(res.matrices[n, k], ref)
    torch.testing.assert_close(res.determinants, torch.linalg.det(res.matrices))
    one = block_jacobian_eigenvalues(model, x[0])
    torch.testing.assert_close(one.eigenvalues[0], res.eigenvalues[0])


def _block(model, k, h):
    w, b = model.block_maps()[k]
    act = torch.tanh
    return model.skip * h + model.residual * act(w @ h + b)


def test_block_jacobian_hand_set():
    model = build_model(
        {"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 1, "skip": 0.5, "residual": 2.0, "input_layer": False},
        seed=0,
    ).double()
    with torch.no_grad():
        model.block_layers[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -3.0]]))
        model.block_layers[0].bias.zero_()
    res = block_jacobian_eigenvalues(model, torch.zeros(2, dtype=torch.float64))
    # at h = 0, tanh' = 1: J = 0.5 I + 2 W = diag(2.5, -5.5)
    eig = torch.sort(res.eigenvalues[0, 0].real).values
    torch.testing.assert_close(eig, torch.tensor([-5.5, 2.5], dtype=torch.float64))


def test_errors():
    mlp = build_model({"kind": "mlp", "widths": [2, 2, 1]}, seed=0)
    with pytest.raises(MorsenetError, match="ResNet"):
        block_jacobian_eigenvalues(mlp, torch.zeros(2))
    resnet = build_model({"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 1}, seed=0)
    with pytest.raises(MorsenetError, match="shape"):
        block_jacobian_eigenvalues(resnet, torch.zeros(3, 3))
    with pytest.raises(MorsenetError, match="2-D tensor"):
        weight_spectra([torch.zeros(3)])
    with pytest.raises(MorsenetError, match="tol"):
        weight_spectra(mlp, tol=-1.0)
