"""Tests for morsenet.theory: every test vector of THEORY.md 3.4, activation overrides, and predict(model)."""

from __future__ import annotations

import pytest
import torch

from morsenet.errors import MorsenetError
from morsenet.theory import (
    MLPArchitecture,
    NeuralODEArchitecture,
    ResNetArchitecture,
    classify,
    graph_bottleneck,
    predict,
)

F, T = False, True
M, R, N = MLPArchitecture, ResNetArchitecture, NeuralODEArchitecture

# (number, architecture, effective sequence (None: not checked), class, can_enclose)
VECTORS = [
    (1, M((2, 1)), (2, 1), "none", F),
    (2, M((1, 1)), (1, 1), "none", F),
    (3, M((2, 2, 1)), (2, 2, 1), "none", F),
    (4, M((2, 2, 2, 2, 1)), (2, 2, 2, 2, 1), "none", F),
    (5, M((3, 2, 1)), (3, 2, 1), "none", F),
    (6, M((2, 1, 1)), (2, 1, 1), "none", F),
    (7, M((2, 3, 1)), (2, 3, 1), "morse_generic", T),
    (8, M((1, 3, 1)), (1, 3, 1), "morse_generic", T),
    (9, M((1, 2, 1, 2, 1)), (1, 2, 1, 2, 1), "morse_generic", T),
    (10, M((3, 4, 2, 1)), (3, 4, 2, 1), "morse_generic", T),
    (11, M((2, 3, 2, 3, 1)), (2, 3, 2, 3, 1), "morse_generic", T),
    (12, M((2, 1, 2, 1)), (2, 1, 2, 1), "degenerate_forced", F),
    (13, M((2, 2, 1, 2, 1)), (2, 2, 1, 2, 1), "degenerate_forced", F),
    (14, M((2, *[2] * 13, 1, 2, 1)), (2, *[2] * 13, 1, 2, 1), "degenerate_forced", F),
    (15, M((3, 2, 3, 1)), (3, 2, 3, 1), "degenerate_forced", F),
    (16, M((3, 2, 2, 3, 1)), (3, 2, 2, 3, 1), "degenerate_forced", F),
    (17, M((2, 3, 1, 2, 1)), (2, 3, 1, 2, 1), "degenerate_mixed", T),
    (18, M((3, 2, 1), ranks=(1, 1)), (3, 1, 2, 1), "degenerate_forced", F),
    (19, M((2, 3, 1), ranks=(1, 1)), (2, 1, 3, 1), "degenerate_forced", F),
    (20, M((2, 2, 1), ranks=(1, 1)), (2, 1, 2, 1), "degenerate_forced", F),
    (21, M((2, 3, 1), ranks=(2, 0)), (2, 3, 0), "constant", F),
    (22, M((2, 3, 1), activation="relu"), (2, 3, 1), "unsupported", None),
    (23, M((2, 2, 2, 1), activation="relu"), (2, 2, 2, 1), "unsupported", F),
    (24, N(2, 2), (2, 2, 2, 1), "none", F),
    (25, N(2, 1, rank_lift=1), (2, 1, 1, 1), "none", F),
    (26, N(1, 1), (1, 1, 1, 1), "none", F),
    (27, N(2, 3, rank_lift=2), (2, 3, 3, 1), "morse_generic", T),
    (28, N(2, 3, rank_lift=1), (2, 1, 3, 3, 1), "degenerate_forced", F),
    (29, N(2, 2, rank_lift=1), (2, 1, 2, 2, 1), "degenerate_forced", F),
    (30, N(3, 2, rank_lift=1), (3, 1, 2, 2, 1), "degenerate_forced", F),
    (31, N(2, 2, readout_nonzero=False), (2, 2, 2, 0), "constant", F),
    (32, R(2, 2, 10, skip=1, residual=1), (2, 2, *[4, 2] * 10, 1), "morse_generic", T),
    (33, R(2, 2, 10, skip=1, residual=0.1, weight_bound=5.0), (2, 2, *[2] * 10, 1), "none", F),
    (34, R(2, 2, 10, skip=0, residual=1), (2, 2, *[2] * 10, 1), "none", F),
    (35, R(2, 3, 4, skip=1, residual=1), (2, 3, *[6, 3] * 4, 1), "morse_generic", T),
    (36, R(2, 1, 4, skip=1, residual=1), (2, 1, *[2, 1] * 4, 1), "degenerate_forced", F),
]


@pytest.mark.parametrize(("number", "arch", "seq", "cls", "enclose"), VECTORS, ids=[f"#{v[0]}" for v in VECTORS])
def test_theory_vector(number, arch, seq, cls, enclose):
    pred = predict(arch)
    assert pred.effective_widths == seq
    assert pred.cls == cls
    assert pred.can_enclose is enclose


def test_all_36_vectors_present():
    assert [v[0] for v in VECTORS] == list(range(1, 37))


@pytest.mark.parametrize(
    ("arch", "names", "tags"),
    [
        (M((2, 2, 1)), ["T1", "L4"], ["P"]),
        (M((2, 3, 1)), ["T2"], ["P"]),
        (M((2, 3, 2, 3, 1)), ["T2'"], ["D"]),
        (M((2, 1, 2, 1)), ["T3(b)", "L5"], ["R", "D"]),
        (M((2, 3, 1, 2, 1)), ["T3(c)"], ["D"]),
        (M((3, 2, 1), ranks=(1, 1)), ["T3(b)", "T4"], ["S"]),
        (N(2, 2), ["N1"], ["P"]),
        (N(2, 3), ["N2"], ["P"]),
        (N(2, 3, rank_lift=1), ["N3"], ["S"]),
        (R(2, 2, 3, skip=1, residual=0.1, weight_bound=5.0), ["R1"], ["D"]),
        (R(2, 2, 3, skip=0, residual=1), ["R2"], ["D"]),
        (R(2, 2, 3), ["R3"], ["C"]),
        (M((2, 2, 2, 1), activation="relu"), ["Beise et al."], ["X"]),
    ],
)
def test_explanation_names_theorem_and_tags(arch, names, tags):
    pred = predict(arch)
    for name in names:
        assert name in pred.theorems
        assert name.split(" ")[0] in pred.explanation
    for tag in tags:
        assert tag in pred.provenance
        assert f"[{tag}" in pred.explanation or f",{tag}" in pred.explanation or f"{tag}]" in pred.explanation


def test_beyond_paper_condition_is_flagged():
    pred = predict(M((2, 3, 2, 3, 1)))
    assert pred.graph_bottleneck and pred.cls == "morse_generic"
    assert "beyond the paper's stated condition" in pred.explanation


@pytest.mark.parametrize(
    ("widths", "expected"),
    [
        ((2, 3, 2, 3, 1), True),
        ((2, 1, 2, 1), True),
        ((2, 2, 2, 1), False),
        ((2, 3, 1), False),
        ((3, 2, 2, 3, 1), True),
        ((2, 2, 1, 1), False),
    ],
)
def test_graph_bottleneck(widths, expected):
    assert graph_bottleneck(widths) is expected


@pytest.mark.parametrize(
    ("activation", "widths", "cls", "enclose"),
    [
        ("identity", (2, 3, 1), "none", False),
        ("identity", (2, 1, 2, 1), "none", False),
        ("sigmoid", (2, 3, 1), "morse_generic", True),
        ("softplus", (2, 1, 2, 1), "degenerate_forced", False),
        ("leaky_relu", (2, 2, 1), "none", False),
        ("leaky_relu", (2, 3, 1), "unsupported", None),
        ("elu", (2, 1, 2, 1), "unsupported", False),  # every width <= n0: Beise et al.
        ("relu", (2, 1, 1), "unsupported", False),
        ("gelu", (2, 2, 1), "unsupported", None),  # not monotone: Beise et al. does not apply
        ("sin", (1, 1, 1), "unsupported", None),
    ],
)
def test_activation_overrides(activation, widths, cls, enclose):
    pred = predict(M(widths, activation=activation))
    assert (pred.cls, pred.can_enclose) == (cls, enclose)


def test_zero_readout_is_constant_even_for_relu():
    assert predict(M((2, 3, 1), activation="relu", ranks=(2, 0))).cls == "constant"


def test_classify_edge_cases():
    assert classify((2, 1)) == "none"
    assert classify((2, 3, 0)) == "constant"
    assert classify((1, 2, 1, 2, 1)) == "morse_generic"


def test_resnet_r1_needs_the_bound_to_be_strict_and_scaled_by_lipschitz():
    assert predict(R(2, 2, 2, skip=1, residual=0.2, weight_bound=5.0)).cls == "morse_generic"  # 0.2*5 = 1, not < 1
    assert predict(R(2, 2, 2, skip=1, residual=0.2, weight_bound=5.0, activation="sigmoid")).cls == "none"
    assert predict(R(2, 2, 2, skip=1, residual=0.0)).cls == "none"
    assert predict(R(2, 2, 2, skip=0, residual=0)).cls == "constant"
    mixed = predict(R(2, 2, 2, skip=1, residual=1, weight_bound=(0.5, 3.0)))
    assert mixed.effective_widths == (2, 2, 2, 4, 2, 1)


def test_resnet_without_input_layer_and_rank_deficient_input():
    assert predict(R(2, 2, 3, skip=0, residual=1, input_layer=False)).effective_widths == (2, 2, 2, 2, 1)
    assert predict(R(2, 2, 1, input_rank=1)).cls == "degenerate_forced"


def test_prediction_to_dict_round_trips_to_json():
    import json

    d = predict(M((2, 1, 2, 1))).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["class"] == "degenerate_forced" and d["effective_widths"] == [2, 1, 2, 1]
    assert "cls" not in d and next(iter(d)) == "class"  # the field's word, first, as the text prints it


def test_prediction_is_frozen():
    pred = predict(M((2, 2, 1)))
    with pytest.raises(AttributeError):
        pred.cls = "morse_generic"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(widths=()), "at least 2 entries"),
        (dict(widths=(2, 3, 2)), "last width must be 1"),
        (dict(widths=(2, 0, 1)), r"widths\[1\] must be a positive integer"),
        (dict(widths=(2, -1, 1)), "positive integer"),
        (dict(widths=(2, 2.5, 1)), "positive integer"),
        (dict(widths=(2, 3, 1), activation="swishy"), "unknown activation 'swishy'"),
        (dict(widths=(2, 3, 1), ranks=(3, 1)), r"ranks\[0\] \(rank of W_1\) must be an integer in 0..2"),
        (dict(widths=(2, 3, 1), ranks=(2,)), "one entry per weight matrix"),
        (dict(widths=(2, 3, 1), ranks=(-1, 1)), "must be an integer in"),
    ],
)
def test_invalid_mlp_raises(kwargs, match):
    with pytest.raises(MorsenetError, match=match):
        MLPArchitecture(**kwargs)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: R(2, 3, 2, input_layer=False), "width == input_dim"),
        (lambda: R(2, 2, 2, weight_bound=(1.0,)), "one entry per block"),
        (lambda: R(2, 2, -1), "blocks must be"),
        (lambda: N(2, 3, rank_lift=3), "rank_lift must be an integer in 0..2"),
        (lambda: N(0, 3), "input_dim must be a positive integer"),
    ],
)
def test_invalid_resnet_and_node_raise(make, match):
    with pytest.raises(MorsenetError, match=match):
        make()


def test_predict_rejects_other_objects():
    with pytest.raises(MorsenetError, match="architecture or a morsenet model"):
        predict([2, 2, 1])


# ----------------------------------------------------------------------------------------------------------------
# predict(model): the ranks are read off the actual (BatchNorm-folded) weights


def _build(config):
    from morsenet.models import build_model

    # fork_rng: guards the global RNG even if model construction touches it.
    with torch.random.fork_rng(devices=[]):
        return build_model(config, seed=0).eval()


def _mlp(widths, **kw):
    return _build({"kind": "mlp", "widths": list(widths), **kw})


def test_predict_model_full_rank_mlp_matches_architecture():
    assert predict(_mlp((2, 2, 1))).cls == "none"
    assert predict(_mlp((2, 3, 1))).cls == "morse_generic"
    assert predict(_mlp((2, 1, 2, 1))).cls == "degenerate_forced"


def test_predict_model_sees_rank_deficient_first_layer():
    model = _mlp((2, 3, 1))
    with torch.no_grad():
        model.hidden_layers[0].weight.copy_(torch.tensor([[1.0, 2.0], [2.0, 4.0], [-0.5, -1.0]]))
    pred = predict(model)
    assert pred.effective_widths == (2, 1, 3, 1)
    assert pred.cls == "degenerate_forced" and pred.can_enclose is False


def test_predict_model_sees_zero_readout():
    model = _mlp((2, 3, 1))
    with torch.no_grad():
        model.readout.weight.zero_()
    assert predict(model).cls == "constant"


def test_predict_model_batchnorm_gamma_zero_lowers_rank():
    model = _mlp((2, 2, 1), batchnorm=True)
    with torch.no_grad():
        model.norms[0].weight.copy_(torch.tensor([1.0, 0.0]))
    pred = predict(model)
    assert pred.effective_widths == (2, 1, 2, 1)
    assert pred.cls == "degenerate_forced"


def test_predict_model_resnet_uses_spectral_norms():
    model = _build({"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 3, "skip": 1.0, "residual": 0.1})
    with torch.no_grad():
        for lin in model.block_layers:
            lin.weight.copy_(torch.tensor([[3.0, 0.0], [0.0, -2.0]]))  # ||W||_2 = 3: 0.1 * 3 < 1
    assert predict(model).cls == "none"
    with torch.no_grad():
        model.block_layers[1].weight.mul_(10.0)  # ||W||_2 = 30: 0.1 * 30 > 1
    pred = predict(model)
    assert pred.cls == "morse_generic"
    assert pred.effective_widths == (2, 2, 2, 4, 2, 2, 1)


def test_predict_model_neural_ode_lift_rank_and_readout():
    model = _build({"kind": "neural_ode", "input_dim": 2, "dim": 3})
    assert predict(model).cls == "morse_generic"
    with torch.no_grad():
        model.lift_layer.weight.copy_(torch.tensor([[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]]))
    assert predict(model).cls == "degenerate_forced"
    with torch.no_grad():
        model.readout_layer.weight.zero_()
    assert predict(model).cls == "constant"


def test_rank_tolerance_is_relative():
    model = _mlp((2, 2, 1))
    with torch.no_grad():
        model.hidden_layers[0].weight.copy_(torch.tensor([[1e-3, 0.0], [0.0, 1e-3]]))  # small but full rank
    assert predict(model).cls == "none"
    with torch.no_grad():
        model.hidden_layers[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1e-9]]))  # numerically rank 1
    assert predict(model).effective_widths == (2, 1, 2, 1)


def test_beise_and_nguyen_with_provenance_tags():
    from morsenet.theory import predict as _predict

    relu = _predict(MLPArchitecture((2, 2, 2, 2, 1), "relu"))
    assert relu.cls == "unsupported" and relu.can_enclose is False and relu.regions_unbounded is True
    assert "Beise et al." in relu.theorems and "X" in relu.provenance
    assert relu.regions_connected is None and "ReLU is not" in relu.explanation  # Nguyen needs strict monotonicity
    leaky = _predict(MLPArchitecture((2, 2, 1, 1), "leaky_relu"))
    assert leaky.regions_connected is True and "Nguyen et al." in leaky.theorems and "X" in leaky.provenance
    assert "ICML 2018" in leaky.explanation
    wide = _predict(MLPArchitecture((2, 3, 3, 1), "leaky_relu"))
    assert wide.regions_connected is None and "Nguyen et al." not in wide.theorems  # not pyramidal
    rank_drop = _predict(MLPArchitecture((2, 2, 2, 1), "leaky_relu", ranks=(1, 2, 1)))
    assert rank_drop.regions_connected is None  # Nguyen needs full-rank weights
    wide_relu = _predict(MLPArchitecture((2, 3, 1), "relu"))
    assert wide_relu.regions_unbounded is None and "Beise et al." not in wide_relu.theorems


def test_r1_ratio_of_a_hand_set_resnet():
    import torch

    from morsenet.models import ResNet
    from morsenet.theory import r1_ratio

    m = ResNet(2, 2, 2, skip=2.0, residual=0.5, activation="tanh", batchnorm=False, input_layer=False)
    with torch.no_grad():
        m.block_layers[0].weight.copy_(torch.tensor([[3.0, 0.0], [0.0, 1.0]]))  # ||W||_2 = 3
        m.block_layers[1].weight.copy_(torch.tensor([[1.0, 1.0], [0.0, 0.0]]))  # ||W||_2 = sqrt(2)
    assert r1_ratio(m) == pytest.approx(0.5 * 1.0 * 3.0 / 2.0)
    s = ResNet(2, 2, 1, skip=1.0, residual=1.0, activation="sigmoid", input_layer=False)
    with torch.no_grad():
        s.block_layers[0].weight.copy_(torch.tensor([[2.0, 0.0], [0.0, 0.0]]))
    assert r1_ratio(s) == pytest.approx(0.25 * 2.0)  # Lip(logistic) = 1/4
    assert r1_ratio(ResNet(2, 2, 1, skip=0.0, input_layer=False)) is None  # eps = 0: an MLP (R2)
