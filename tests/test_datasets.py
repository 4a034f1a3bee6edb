import math

import pytest
import torch

from morsenet.datasets import DATASETS, get_dataset, load_csv, make_circles, make_spheres, make_xor_quadrants
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
        make_circles(inner_radius=0.1, buffer=0.2)


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
