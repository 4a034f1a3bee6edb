"""Weight figures (`plotting/_weights.py`): the eigenvalue-modulus and complex-plane figures against
numpy.linalg.eigvals, the unit circle, non-square layers left out, and the signed heat map's symmetric limits."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from morsenet.analysis import weight_spectra  # noqa: E402
from morsenet.models import build_model  # noqa: E402
from morsenet.plotting._weights import plot_weight_eigenvalues, plot_weight_heatmaps, weight_eigenvalues  # noqa: E402


def _axes():
    return Figure().add_subplot()


def _resnet():
    with torch.random.fork_rng(devices=[]):
        return build_model(
            {"kind": "resnet", "input_dim": 2, "width": 3, "blocks": 3, "skip": 1.0, "residual": 0.1,
             "batchnorm": True}, seed=4,
        ).eval()  # fmt: skip


def _by_gid(ax, prefix):
    return {c.get_gid(): c for c in ax.collections if (c.get_gid() or "").startswith(prefix)}


def test_eigenvalue_moduli_and_the_complex_plane_match_numpy():
    spectra = weight_spectra(_resnet())
    # layers: the input layer (3 x 2, not square), blocks 1..3 (3 x 3), the read-out (1 x 3)
    square = [i + 1 for i, layer in enumerate(spectra.layers) if layer.weight.shape[0] == layer.weight.shape[1]]
    assert square == [2, 3, 4]
    assert [k for k, _, _ in weight_eigenvalues(spectra)] == square
    ax = plot_weight_eigenvalues(spectra, _axes())
    plane = plot_weight_eigenvalues(spectra, _axes(), plane=True)
    got, got_plane = _by_gid(ax, "eigenvalues "), _by_gid(plane, "eigenvalues ")
    assert sorted(got) == sorted(got_plane) == [f"eigenvalues {k}" for k in square]
    for k in square:
        lam = np.linalg.eigvals(spectra.layers[k - 1].weight.double().numpy())
        pts = got[f"eigenvalues {k}"].get_offsets()
        assert np.allclose(pts[:, 0], k)
        np.testing.assert_allclose(np.sort(pts[:, 1]), np.sort(np.abs(lam)), rtol=1e-12, atol=1e-12)
        z = got_plane[f"eigenvalues {k}"].get_offsets()
        np.testing.assert_allclose(np.sort_complex(z[:, 0] + 1j * z[:, 1]), np.sort_complex(lam), atol=1e-12)
    # the unit circle: |lambda| = 1 on the modulus axis, the circle of radius 1 in the plane
    [line] = [ln for ln in ax.lines if ln.get_gid() == "unit-circle"]
    assert np.allclose(line.get_ydata(), 1.0)
    [circle] = [ln for ln in plane.lines if ln.get_gid() == "unit-circle"]
    assert np.allclose(np.hypot(circle.get_xdata(), circle.get_ydata()), 1.0)


def test_a_net_without_square_weights_says_so():
    with torch.random.fork_rng(devices=[]):
        model = build_model({"kind": "mlp", "widths": [2, 3, 1]}, seed=0)
    spectra = weight_spectra(model)
    assert weight_eigenvalues(spectra) == []
    ax = plot_weight_eigenvalues(spectra, _axes())
    assert not _by_gid(ax, "eigenvalues") and any("no square weight" in t.get_text() for t in ax.texts)


def test_signed_heat_map_is_centred_at_zero():
    spectra = weight_spectra(_resnet())
    peak = max(float(layer.weight.abs().max()) for layer in spectra.layers)
    ax = plot_weight_heatmaps(spectra, _axes(), signed=True)
    [im] = [i for i in ax.images if i.get_gid() == "weights"]
    lo, hi = im.get_clim()
    assert lo == -hi and abs(hi - peak) < 1e-6 * peak
    # the mosaic holds W itself (negative entries included), not |W|
    values = np.ma.masked_invalid(im.get_array())
    assert values.min() < 0 < values.max()
    assert abs(float(values.min())) <= hi and float(values.max()) <= hi
    lo, hi = plot_weight_heatmaps(spectra, _axes(), signed=True, vmax=0.25).images[0].get_clim()
    assert (lo, hi) == (-0.25, 0.25)
