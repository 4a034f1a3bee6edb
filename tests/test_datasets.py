import math

import numpy as np
import pytest
import torch

from morsenet.datasets import (
    DATASETS,
    dataset_parameters,
    geometry_parameters,
    get_dataset,
    load_csv,
    make_circles,
    make_spheres,
    make_xor_quadrants,
)
from morsenet.errors import MorsenetError


def test_circles_geometry_and_balance():
    ds = make_circles(2000, seed=3)
    r = ds.x.norm(dim=1)
    y = ds.y
    assert (r[y == 0] <= 0.5 - 0.2 + 1e-6).all()
    assert ((r[y == 1] >= 0.5 - 1e-6) & (r[y == 1] <= 1.0 + 1e-6)).all()
    assert int((y == 0).sum()) == 1000 and int((y == 1).sum()) == 1000
    assert ds.x_test.shape[0] == 600 and ds.x_train.shape[0] == 1400


def test_circles_uniform_by_area():
    # Uniform by area in the disk of radius a: P(r <= a/sqrt(2)) = 1/2.
    ds = make_circles(20000, seed=1)
    r = ds.x.norm(dim=1)[ds.y == 0]
    frac = float((r <= 0.3 / math.sqrt(2)).float().mean())
    assert abs(frac - 0.5) < 0.02
    # Annulus [0.5, 1]: P(r <= sqrt((0.25 + 1) / 2)) = 1/2.
    r = ds.x.norm(dim=1)[ds.y == 1]
    assert abs(float((r <= math.sqrt(0.625)).float().mean()) - 0.5) < 0.02


@pytest.mark.parametrize("name", sorted(set(DATASETS) - {"csv"}))
def test_same_seed_same_points_different_seed_different(name):
    a, b, c = get_dataset(name, seed=5), get_dataset(name, seed=5), get_dataset(name, seed=6)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, c.x_train)


def test_generator_seed_is_accepted():
    g1, g2 = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    assert torch.equal(make_circles(100, seed=g1).x, make_circles(100, seed=g2).x)


@pytest.mark.parametrize("dim", [1, 3, 5])
def test_spheres_in_any_dimension(dim):
    ds = make_spheres(600, dim=dim, r1=0.4, r2=0.8, r3=1.2, seed=0)
    assert ds.input_dim == dim
    r = ds.x.norm(dim=1)
    assert (r[ds.y == 0] <= 0.4 + 1e-6).all() and (r[ds.y == 1] >= 0.8 - 1e-6).all()


def test_xor_quadrants_labels():
    ds = make_xor_quadrants(500, seed=0)
    x, y = ds.x, ds.y
    assert torch.equal(y, (x[:, 1] ** 2 - x[:, 0] ** 2 >= 0).float())


def test_square_1d_is_regression():
    ds = get_dataset("square_1d", seed=0)
    assert ds.task == "regression" and ds.input_dim == 1
    torch.testing.assert_close(ds.y_train, ds.x_train[:, 0] ** 2)


def test_standardize_uses_train_statistics():
    ds = make_circles(1000, standardize=True, seed=0)
    torch.testing.assert_close(ds.x_train.mean(0), torch.zeros(2), atol=1e-5, rtol=0)
    torch.testing.assert_close(ds.x_train.std(0), torch.ones(2), atol=1e-5, rtol=0)


def test_unknown_dataset_and_parameter():
    with pytest.raises(MorsenetError, match="unknown dataset 'rings'; choose one of"):
        get_dataset("rings")
    with pytest.raises(MorsenetError, match="dataset 'circles' has no parameter 'radius'; allowed"):
        get_dataset("circles", radius=2)
    with pytest.raises(MorsenetError, match="buffer < inner_radius"):
        get_dataset("circles", inner_radius=0.1, buffer=0.2)
    with pytest.raises(MorsenetError, match="need 0 < disk_radius < ring_inner < ring_outer"):
        make_circles(disk_radius=0.6, ring_inner=0.5)


def test_csv_round_trip(tmp_path):
    p = tmp_path / "d.csv"
    rows = ["x1,x2,label"] + [f"{i / 10},{-i / 10},{i % 2}" for i in range(20)]
    p.write_text("\n".join(rows) + "\n")
    ds = load_csv(p, seed=0)
    assert ds.input_dim == 2 and ds.x.shape[0] == 20 and set(ds.y.tolist()) == {0.0, 1.0}


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the file is empty"),
        ("x1,x2\n1,2\n", "no 'label' or 'target' column"),
        ("a,b,label\n1,2,0\n", r"must name columns x1..xn"),
        ("x1,x2,label\n1,2,0\n1,zz,1\n", r"row 3, column 'x2': 'zz' is not a number"),
        ("x1,x2,label\n1,2,0\n1,nan,1\n", r"row 3, column 'x2': 'nan' is not finite"),
        ("x1,x2,label\n1,2,0\n3,4,0\n", "every label is 0"),
        ("x1,x2,label\n1,2,0\n3,4,2\n", r"row 3, column 'label': 2 is not 0 or 1"),
        ("x1,x2,label\n1,2\n", "row 2 has 2 cells"),
        ("x1,x2,label\n", "no data rows"),
    ],
)
def test_csv_bad_files_name_file_row_and_problem(tmp_path, content, message):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(MorsenetError, match=message) as info:
        load_csv(p)
    assert "\n" not in str(info.value)


def test_csv_missing_file(tmp_path):
    with pytest.raises(MorsenetError, match="no such file"):
        load_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    "content, message",
    [
        ("x1,x2,label,label\n1,2,0,1\n2,1,1,0\n", "names column 'label' more than once"),
        ("x1,x1,label\n1,2,0\n2,1,1\n", "names column 'x1' more than once"),
        ("x1,x2,label,target\n1,2,0,1\n2,1,1,0\n", "both 'label' .* and 'target'"),
    ],
)
def test_csv_ambiguous_headers_are_errors(tmp_path, content, message):
    p = tmp_path / "d.csv"
    p.write_text(content)
    with pytest.raises(MorsenetError, match=message):
        load_csv(p)


def test_csv_byte_order_mark_is_read(tmp_path):
    p = tmp_path / "d.csv"
    rows = ["x1,x2,label"] + [f"{i / 10},{-i / 10},{i % 2}" for i in range(20)]
    p.write_bytes(b"\xef\xbb\xbf" + ("\n".join(rows) + "\n").encode())
    ds = load_csv(p, seed=0)
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(rows) + "\n")
    assert torch.equal(ds.x, load_csv(plain, seed=0).x)


def test_csv_directory_and_encoding(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(MorsenetError, match="is a directory"):
        load_csv(tmp_path / "dir.csv")
    (tmp_path / "l1.csv").write_bytes("x1,label\n\xe9,0\n".encode("latin-1"))
    with pytest.raises(MorsenetError, match="is not UTF-8 text .*byte 0xe9"):
        load_csv(tmp_path / "l1.csv")


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("circles", {"n_samples": 10**12}, "n_samples must be <= 10,000,000"),
        ("spheres", {"n_samples": 100_000, "dim": 5_000}, "more than morsenet holds"),
        ("circles", {"outer_radius": float("inf")}, "outer_radius must be a finite number"),
        ("moons", {"noise": float("nan")}, "noise must be a finite number"),
        ("circles", {"standardize": 1}, 'standardize must be true, false, "train" or "all"'),
        ("circles", {"seed": 10**30}, "seed must be an integer in 0..2"),
    ],
)
def test_generator_parameters_are_checked_before_allocating(name, params, message):
    with pytest.raises(MorsenetError, match=message):
        get_dataset(name, **params)


# --- disk and ring (DiskRing) for any data set ---


def _concentric_csv(path, n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    r = torch.cat([0.5 * torch.rand(n // 2, generator=g), 1.0 + 0.5 * torch.rand(n - n // 2, generator=g)])
    t = 2 * math.pi * torch.rand(n, generator=g)
    x, y = 3.0 + r * torch.cos(t), -1.0 + 2.0 * r * torch.sin(t) / 2.0
    labels = [0] * (n // 2) + [1] * (n - n // 2)
    path.write_text("x1,x2,label\n" + "".join(f"{a!r},{b!r},{c}\n" for a, b, c in zip(x.tolist(), y.tolist(), labels)))
    return path


def test_prototype_names_of_the_circles_radii_give_the_same_points():
    new = make_circles(300, seed=4)
    old = get_dataset("circles", n_samples=300, inner_radius=0.5, buffer=0.2, outer_radius=1.0, seed=4)
    assert torch.equal(new.x_train, old.x_train) and torch.equal(new.x_test, old.x_test)
    assert old.params["disk_radius"] == 0.5 - 0.2 and "inner_radius" not in old.params
    theory = get_dataset("circles", buffer=0.1, seed=0)  # THEORY.md: disk 0.4, ring [0.5, 1.0]
    assert theory.geometry.disk_radius == 0.5 - 0.1 and theory.geometry.ring == (0.5, 1.0)
    assert float(theory.x[theory.y == 0].norm(dim=1).max()) <= 0.4 + 1e-6
    with pytest.raises(MorsenetError, match="cannot be mixed"):
        get_dataset("circles", inner_radius=0.5, ring_outer=1.2)


def test_csv_with_a_declared_ring_gets_geometry(tmp_path):
    path = _concentric_csv(tmp_path / "c.csv")
    data = get_dataset("csv", path=str(path), disk_radius=0.5, ring=[1.0, 1.5], center=[3.0, -1.0])
    g = data.geometry
    assert g is not None and g.center == (3.0, -1.0) and g.disk_radius == 0.5 and g.ring == (1.0, 1.5)
    assert not g.standardized and g.dim == 2
    r = g.radius_of(data.x)
    assert float(r[data.y == 0].max()) <= 0.5 + 1e-6 and float(r[data.y == 1].min()) >= 1.0 - 1e-6
    # the declaration is recorded, so the data set can be built again from its params (as the report does)
    again = get_dataset("csv", **data.params)
    assert again.geometry == g
    assert get_dataset("csv", path=str(path)).geometry is None  # nothing declared: no geometry


def test_standardised_data_keep_their_geometry_in_original_radii(tmp_path):
    raw, std = make_circles(500, seed=2), make_circles(500, standardize=True, seed=2)
    g = std.geometry
    assert g is not None and g.standardized and g.disk_radius == raw.geometry.disk_radius
    mean, sd = torch.tensor(std.params["standardize_mean"]), torch.tensor(std.params["standardize_std"])
    assert g.scale == pytest.approx((1 / sd).tolist()) and g.center == pytest.approx((-mean / sd).tolist())
    # closed form: the raw radius |x| of each point, from its standardised coordinates
    torch.testing.assert_close(g.radius_of(std.x_train.double()), raw.x_train.double().norm(dim=1), atol=1e-5, rtol=0)
    np.testing.assert_allclose(
        g.radius_of(std.x_test.double().numpy()), raw.x_test.double().norm(dim=1).numpy(), atol=1e-5
    )
    # boundary: an ellipse in standardised coordinates whose points are at raw radius r
    b = g.boundary(0.7, 64)
    assert b.shape == (64, 2)
    torch.testing.assert_close(
        (b * sd.double() + mean.double()).norm(dim=1), torch.full((64,), 0.7, dtype=torch.float64)
    )
    torch.testing.assert_close(g.radius_of(b), torch.full((64,), 0.7, dtype=torch.float64))
    # a standardised csv with a declared ring: the declaration is in the file's coordinates
    path = _concentric_csv(tmp_path / "c.csv")
    plain = get_dataset("csv", path=str(path), disk_radius=0.5, ring=[1.0, 1.5], center=[3.0, -1.0])
    scaled = get_dataset("csv", path=str(path), standardize=True, disk_radius=0.5, ring=[1.0, 1.5], center=[3.0, -1.0])
    torch.testing.assert_close(
        scaled.geometry.radius_of(scaled.x_train.double()),
        plain.geometry.radius_of(plain.x_train.double()),
        atol=1e-5,
        rtol=0,
    )


def test_spheres_record_a_3d_geometry():
    data = get_dataset("spheres", n_samples=200, dim=3, seed=0)
    g = data.geometry
    assert g is not None and g.center == (0.0, 0.0, 0.0) and g.ring == (1.0, 1.5) and g.dim == 3
    b = g.boundary(1.2, 50)
    assert b.shape == (50, 3)
    torch.testing.assert_close(b.norm(dim=1), torch.full((50,), 1.2, dtype=torch.float64))
    assert abs(float(b.mean(0).norm())) < 0.05  # spread over the sphere
    assert get_dataset("spheres", n_samples=200, dim=4, seed=0).geometry is None


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(disk_radius=1.0, ring=[1.0, 1.5]), r"need 0 < disk_radius < ring\[0\] < ring\[1\], got disk_radius=1"),
        (dict(disk_radius=0.5, ring=[1.5, 1.0]), r"need 0 < disk_radius < ring\[0\] < ring\[1\]"),
        (dict(disk_radius=0.5, ring=[1.0]), "ring must be a list of 2 finite numbers"),
        (dict(disk_radius=0.5, ring=[1.0, float("inf")]), "ring must be a list of 2 finite numbers"),
        (dict(disk_radius=float("nan"), ring=[1.0, 2.0]), "disk_radius must be a finite number > 0"),
        (dict(disk_radius=0.5, ring="1,2"), "ring must be a list of 2 finite numbers"),
        (dict(disk_radius=0.5, ring=[1.0, 1.5], center=[0, 0, 0]), "center must be a list of 2 finite numbers"),
        (dict(ring=[1.0, 1.5]), "disk_radius is missing"),
        (dict(disk_radius=0.5), "ring is missing"),
        (dict(center=[0.0, 0.0]), "center needs disk_radius and ring"),
    ],
)
def test_bad_disk_and_ring_declarations(params, message):
    with pytest.raises(MorsenetError, match=message) as err:
        get_dataset("moons", n_samples=50, **params)
    assert "\n" not in str(err.value) and "'moons'" in str(err.value)


def test_disk_and_ring_need_2d_or_3d_data_and_do_not_override_circles(tmp_path):
    p = tmp_path / "d4.csv"
    p.write_text("x1,x2,x3,x4,label\n" + "".join(f"{i},{i},{i},{i},{i % 2}\n" for i in range(10)))
    with pytest.raises(MorsenetError, match="need 2-D or 3-D data; these data are 4-D"):
        get_dataset("csv", path=str(p), disk_radius=0.5, ring=[1, 2])
    with pytest.raises(MorsenetError, match="'circles' records its own disk and ring; 'ring' does not apply"):
        get_dataset("circles", ring=[1.0, 2.0])
    with pytest.raises(MorsenetError, match="'square_1d' is 1-D"):
        get_dataset("square_1d", disk_radius=0.1, ring=[0.2, 0.3])
    assert geometry_parameters("csv") == ("disk_radius", "ring", "center") and geometry_parameters("spheres") == ()
    assert dataset_parameters("circles")["disk_radius"] == 0.3 and geometry_parameters("circles") == ()
    with pytest.raises(
        MorsenetError, match="allowed: n_samples, noise, test_fraction, seed, disk_radius, ring, center"
    ):
        get_dataset("moons", radius=1)


def test_test_fraction_zero_trains_and_tests_on_the_same_points():
    d = get_dataset("square_1d", n_samples=50, test_fraction=0, seed=3)
    assert d.x_train.shape == (50, 1) and torch.equal(d.x_train, d.x_test) and torch.equal(d.y_train, d.y_test)


def test_standardize_all_fits_on_every_point_before_the_split():
    d = get_dataset("circles", n_samples=400, standardize="all", seed=1)
    x = torch.cat([d.x_train, d.x_test]).double()
    assert torch.allclose(x.mean(0), torch.zeros(2, dtype=torch.float64), atol=1e-6)
    assert torch.allclose(x.std(0, correction=0), torch.ones(2, dtype=torch.float64), atol=1e-5)  # StandardScaler
    t = get_dataset("circles", n_samples=400, standardize="train", seed=1)
    assert torch.allclose(t.x_train.double().mean(0), torch.zeros(2, dtype=torch.float64), atol=1e-6)
    assert not torch.allclose(t.x_train, d.x_train)  # a different fit: the train-only scaler
