"""The explorer's HTTP API through Starlette's TestClient: sessions, settings, validation, uploads, export."""

import json
import logging
import time

import pytest
import torch
from starlette.testclient import TestClient

import morsenet
from morsenet.cli import main
from morsenet.explore import MAX_UPLOAD_BYTES, Session, Sessions, create_app, parse_settings
from morsenet.study import load_study

SMALL = {"d.n_samples": "200", "m.widths": "2,3,1", "m.batchnorm": "false", "t.batch_size": "32", "t.epochs": "3"}


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(upload_dir=tmp_path / "uploads")) as c:
        (tmp_path / "uploads").mkdir(exist_ok=True)
        yield c


def _start(client, **values):
    base = {k: v for k, v in SMALL.items() if "data" not in values or not k.startswith("d.")}
    r = client.post("/api/session", json={**base, **values})
    assert r.status_code == 200, r.text
    return r.json()


def _wait_done(client, sid, timeout=60):
    deadline = time.monotonic() + timeout
    while (view := client.get(f"/api/session/{sid}/view").json())["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return view


def test_page_assets_and_options(client):
    page = client.get("/")
    assert page.status_code == 200 and "morsenet explore" in page.text and "/static/app.js" in page.text
    for asset in ("app.js", "draw.js", "form.js", "style.css"):
        r = client.get(f"/static/{asset}")
        assert r.status_code == 200 and r.text
        assert "http://" not in r.text and "https://" not in r.text  # no CDN: everything ships in the package
    assert "circles" in client.get("/api/options").json()["datasets"]


def test_a_session_starts_with_its_settings_and_points(client):
    info = _start(client, seed="2")
    assert info["settings"]["seed"] == "2" and "seed=2" in info["query"]
    assert info["model"] == "MLP 2-3-1 tanh" and info["n_parameters"] == 13
    assert len(info["points"]["train"]) + len(info["points"]["test"]) == 200
    assert info["geometry"]["ring"] == [0.5, 1.0]
    assert client.get(f"/api/session/{info['session']}").json()["query"] == info["query"]


def test_tabs_are_independent_sessions(client):
    a, b = _start(client), _start(client, **{"m.widths": "2,2,1"})
    assert a["session"] != b["session"]
    client.post(f"/api/session/{a['session']}/control", json={"action": "play"})
    _wait_done(client, a["session"])
    vb = client.get(f"/api/session/{b['session']}/view").json()
    assert vb["status"] == "idle" and vb["epoch"] == 0
    assert client.get(f"/api/session/{b['session']}").json()["model"] == "MLP 2-2-1 tanh"


@pytest.mark.parametrize(
    "values, words",
    [
        ({"t.lr": "-1"}, "train.lr must be"),
        ({"m.widths": "2,x,1"}, "widths must be a list of integers"),
        ({"data": "nope"}, "unknown dataset 'nope'"),
        ({"m.activation": "swish"}, "unknown activation 'swish'"),
        ({"kind": "resnet", "m.width": "two", "m.blocks": "2"}, "width must be an integer"),
        ({"t.epochs": "1000000"}, "train.epochs must be <= 100000"),
    ],
)
def test_bad_settings_are_400_with_the_message(client, values, words):
    base = {k: v for k, v in SMALL.items() if "kind" not in values or not k.startswith("m.")}
    r = client.post("/api/session", json={**base, **values})
    assert r.status_code == 400 and words in r.json()["error"]


def test_bad_bodies_and_actions_are_400_unknown_sessions_404(client):
    assert client.post("/api/session", content=b"{not json").status_code == 400
    assert client.post("/api/session", json=[1, 2]).status_code == 400
    sid = _start(client)["session"]
    r = client.post(f"/api/session/{sid}/control", json={"action": "fly"})
    assert r.status_code == 400 and "play, pause, step or reset" in r.json()["error"]
    assert client.get("/api/session/nope/view").status_code == 404
    assert client.get(f"/api/session/{sid}/stream?max=x").status_code == 400


def test_changing_settings(client):
    info = _start(client)
    sid = info["session"]
    client.post(f"/api/session/{sid}/control", json={"action": "step"})
    deadline = time.monotonic() + 30
    while client.get(f"/api/session/{sid}/view").json()["status"] != "paused":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    generation = client.get(f"/api/session/{sid}/view").json()["generation"]
    r = client.post(f"/api/session/{sid}/settings", json={**SMALL, "v.map": "logit"})  # view only: same model
    view = client.get(f"/api/session/{sid}/view").json()
    assert r.status_code == 200 and view["generation"] == generation and view["epoch"] == 1
    assert view["second"]["kind"] == "logit"
    bad = client.post(f"/api/session/{sid}/settings", json={**SMALL, "m.widths": "2,0,1"})
    assert bad.status_code == 400 and "widths" in bad.json()["error"]
    assert client.get(f"/api/session/{sid}").json()["settings"]["m.widths"] == "2,3,1"  # unchanged
    r = client.post(f"/api/session/{sid}/settings", json={**SMALL, "m.widths": "2,5,1"})
    view = client.get(f"/api/session/{sid}/view").json()
    assert r.json()["model"] == "MLP 2-5-1 tanh" and view["generation"] == generation + 1 and view["epoch"] == 0


def test_stream_sends_views_as_server_sent_events(client):
    sid = _start(client)["session"]
    with client.stream("GET", f"/api/session/{sid}/stream?max=1") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    view = json.loads(lines[0][len("data: ") :])
    assert view["session"] == sid and view["resolution"] == 100 and view["second"]["kind"] == "gradient_norm"


CSV = "x1,x2,label\n" + "\n".join(f"{(i % 7) / 7 - 0.5},{(i % 5) / 5 - 0.5},{i % 2}" for i in range(60)) + "\n"


def test_csv_upload_then_train_on_it(client):
    r = client.post("/api/upload?name=mine.csv", content=CSV.encode())
    assert r.status_code == 200 and r.json()["n_points"] == 60
    info = _start(client, data="csv", **{"d.upload": r.json()["token"]})
    assert len(info["points"]["train"]) == 42 and info["geometry"] is None
    assert "d.upload" in info["query"]


@pytest.mark.parametrize(
    "body, status, words",
    [
        ("x1,x2,label\n0,0,0\n1,abc,1\n", 400, "mine.csv: row 3, column 'x2': 'abc' is not a number"),
        ("x1,x2,x3,label\n0,0,0,0\n1,1,1,1\n0,1,0,1\n", 400, "x1,x2,label"),
        ("x1,x2,label\n0,0,0\n1,1,0\n", 400, "every label is 0"),
        ("x1,x2,label\n" + "0.5,0.5,1\n" * (MAX_UPLOAD_BYTES // 10 + 1), 413, "larger than 1024 KiB"),
    ],
)
def test_csv_upload_is_checked_like_the_cli(client, tmp_path, body, status, words):
    r = client.post("/api/upload?name=mine.csv", content=body.encode())
    assert r.status_code == status and words in r.json()["error"]
    assert not list((tmp_path / "uploads").glob("*.csv"))  # refused files are not kept


def test_export_and_checkpoint_reproduce_the_model_with_morsenet_run(client, tmp_path, capsys):
    info = _start(client, seed="3")
    sid = info["session"]
    client.post(f"/api/session/{sid}/control", json={"action": "play"})
    _wait_done(client, sid)
    toml = client.get(f"/api/session/{sid}/study.toml")
    assert toml.status_code == 200 and "attachment" in toml.headers["content-disposition"]
    study_file = tmp_path / "explore_study.toml"
    study_file.write_text(toml.text)
    study = load_study(study_file)
    [(_, _, spec)] = study.entries()
    assert spec.config == parse_settings(info["settings"]).config and study.seed == 3
    ckpt = client.get(f"/api/session/{sid}/checkpoint.pt")
    assert ckpt.status_code == 200
    (tmp_path / "explored.pt").write_bytes(ckpt.content)
    explored = morsenet.load(tmp_path / "explored.pt")

    assert main(["run", str(study_file), "--out", str(tmp_path / "run"), "--no-report", "--quiet"]) == 0
    rerun = morsenet.load(tmp_path / "run" / "models" / "explored.pt")
    assert rerun.config() == explored.config()
    for key, value in rerun.state_dict().items():
        assert torch.equal(value, explored.state_dict()[key]), key
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "explored.pt"), "--json", "--starts", "16", "--resolution", "41"]) == 0
    assert json.loads(capsys.readouterr().out)["prediction"]["class"] == "morse_generic"


def test_abandoned_sessions_are_closed():
    sessions = Sessions(timeout=0.05)
    s = sessions.add(Session(parse_settings(SMALL)))
    s.control("play")
    time.sleep(0.1)
    assert sessions.sweep() == [s.id] and len(sessions) == 0
    assert not s._analysis_thread.is_alive() and not s._thread.is_alive()


def test_a_server_error_is_logged_once_and_answered_as_json(client, caplog, monkeypatch):
    sid = _start(client)["session"]

    def broken(self):
        raise RuntimeError("drawing exploded")

    monkeypatch.setattr(Session, "view", broken)
    with caplog.at_level(logging.ERROR, logger="morsenet.explore"):
        answers = [client.get(f"/api/session/{sid}/view") for _ in range(3)]
        with client.stream("GET", f"/api/session/{sid}/stream?max=1") as r:
            first = next(line for line in r.iter_lines() if line.startswith("data: "))
    assert all(a.status_code == 500 and "drawing exploded" in a.json()["error"] for a in answers)
    assert "drawing exploded" in first
    assert len([rec for rec in caplog.records if "failed" in rec.getMessage()]) == 1
