"""Running the explorer: the CLI command, a real uvicorn server in a thread, the notebook entry point, and the
update-rate measurement."""

import socket
import urllib.request

import pytest

import morsenet
from morsenet.cli import main
from morsenet.errors import MorsenetError
from morsenet.explore import _serve, measure_update_rate, start_background


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.read().decode()


def test_cli_lists_explore_and_checks_its_arguments(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["explore", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--no-browser" in out and "127.0.0.1" in out
    assert main(["explore", "--port", "70000", "--no-browser"]) == 2
    assert "--port must be an integer in 0..65535" in capsys.readouterr().err


def test_a_busy_port_is_one_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(MorsenetError, match="cannot listen on 127.0.0.1"):
            start_background(port=port)


def test_background_server_serves_the_page_and_stops():
    srv = start_background()
    try:
        assert srv.url.startswith("http://127.0.0.1:")
        status, page = _get(srv.url)
        assert status == 200 and "morsenet explore" in page
        status, js = _get(srv.url + "static/app.js")
        assert status == 200 and "EventSource" in js
    finally:
        srv.stop()
    assert not srv.thread.is_alive()


def test_notebook_entry_point_returns_the_url_without_ipython(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ipython(name, *args, **kwargs):
        if name.startswith("IPython"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ipython)
    try:
        url = morsenet.explore()  # the function, or the callable package once it is imported
        assert url.startswith("http://127.0.0.1:") and morsenet.explore() == url  # one server per process
        assert _get(url)[0] == 200
    finally:
        assert _serve._NOTEBOOK is not None
        _serve._NOTEBOOK.stop()
        _serve._NOTEBOOK = None


def test_update_rate_measurement_counts_new_views():
    r = measure_update_rate({"m.widths": "2,2,1", "t.epochs": "100000", "d.n_samples": "200"}, seconds=1.0)
    assert r["updates"] >= 1 and r["updates_per_second"] > 0 and r["epochs_per_second"] > 0
    assert 0 < r["seconds_per_view"] < 10.0


def test_morsenet_explore_no_browser_serves_until_interrupted():
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "morsenet", "explore", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert line.startswith("morsenet explore: serving on http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[4]
        assert _get(url)[0] == 200 and "morsenet explore" in _get(url)[1]
        assert _get(url + "api/options")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=30)
    assert rc in (0, 130), proc.stderr.read()
