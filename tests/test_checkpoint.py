import pytest
import torch

import morsenet
from morsenet.errors import MorsenetError
from morsenet.models import build_model


def test_round_trip_keeps_function_and_meta(tmp_path):
    model = build_model(dict(kind="resnet", width=2, blocks=3, batchnorm=True), seed=4, input_dim=2)
    model.train()
    with torch.no_grad():
        model(torch.randn(32, 2, generator=torch.Generator().manual_seed(0)))
    model.eval()
    path = morsenet.save(model, tmp_path / "m.pt", meta={"seed": 4, "note": "x"})
    loaded = morsenet.load(path)
    assert not loaded.training and loaded.config() == model.config()
    assert loaded.checkpoint_meta == {"seed": 4, "note": "x"}
    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(loaded(x), model(x))


def test_missing_corrupt_and_foreign_files(tmp_path):
    with pytest.raises(MorsenetError, match="no checkpoint at"):
        morsenet.load(tmp_path / "none.pt")
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"not a zip file at all")
    with pytest.raises(MorsenetError, match="not a readable morsenet checkpoint"):
        morsenet.load(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(MorsenetError, match="not a morsenet checkpoint"):
        morsenet.load(foreign)


class _Evil:
    def __reduce__(self):
        return (print, ("code executed",))


def test_loading_never_executes_code(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"format": "morsenet-checkpoint", "payload": _Evil()}, path)
    with pytest.raises(MorsenetError, match="not a readable morsenet checkpoint"):
        morsenet.load(path)
    assert "code executed" not in capsys.readouterr().out


def test_weights_that_do_not_fit(tmp_path):
    model = build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0)
    path = morsenet.save(model, tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    payload["config"] = '{"kind": "mlp", "widths": [2, 4, 1]}'
    torch.save(payload, path)
    with pytest.raises(MorsenetError, match="weights do not match the model config"):
        morsenet.load(path)


def test_float64_checkpoint_loads_as_float64(tmp_path):
    model = build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0).double()
    with torch.no_grad():
        model.readout.bias.fill_(1 / 3)
    loaded = morsenet.load(morsenet.save(model, tmp_path / "m.pt"))
    assert loaded.readout.bias.dtype == torch.float64
    assert float(loaded.readout.bias.detach()) == 1 / 3


@pytest.mark.parametrize(
    "change, message",
    [
        ({"config": "[1, 2]"}, "its model config is a list"),
        ({"meta": "[]"}, "its metadata is a list"),
        ({"state_dict": [1, 2]}, "its weights are not a table of named tensors"),
        ({"state_dict": {"readout.weight": 3}}, "its weights are not a table of named tensors"),
        ({"config": '{"kind": "mlp", "widths": [2, 2000000000, 1]}'}, "parameters is more than morsenet builds"),
    ],
)
def test_damaged_checkpoints_are_one_line(tmp_path, change, message):
    model = build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0)
    path = morsenet.save(model, tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    payload.update(change)
    torch.save(payload, path)
    with pytest.raises(MorsenetError, match=message) as info:
        morsenet.load(path)
    assert "\n" not in str(info.value)


def test_torch_messages_are_shortened_at_a_word_boundary(tmp_path):
    model = build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0)
    path = morsenet.save(model, tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    payload["config"] = '{"kind": "mlp", "widths": [2, 4, 4, 4, 4, 4, 4, 4, 4, 1]}'
    torch.save(payload, path)
    with pytest.raises(MorsenetError) as info:
        morsenet.load(path)
    text = str(info.value)
    inner = text[text.index("(") + 1 : -1]
    assert inner.endswith(" ...") and len(inner) <= 200 and "\n" not in text
    with pytest.raises(RuntimeError) as raw:  # torch's own message, whitespace folded
        build_model(dict(kind="mlp", widths=[2, 4, 4, 4, 4, 4, 4, 4, 4, 1]), seed=0).load_state_dict(
            payload["state_dict"]
        )
    full = " ".join(str(raw.value).split())
    kept = inner.removesuffix(" ...")
    assert full.startswith(kept) and full[len(kept)] == " "  # cut between two words, never inside one


def test_a_snapshots_file_is_named_as_such(tmp_path):
    snaps = tmp_path / "w2.snapshots.pt"
    torch.save({"epochs": [1, 26], "states": [{"w": torch.zeros(2)}]}, snaps)
    with pytest.raises(MorsenetError, match=r"training-snapshots file .* not a checkpoint; pass .*w2\.pt"):
        morsenet.load(snaps)
