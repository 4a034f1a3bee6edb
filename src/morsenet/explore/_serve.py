"""Run the explorer: in the foreground with uvicorn (the CLI) or in a background thread (notebooks, tests)."""

from __future__ import annotations

import socket
import threading
import time
import webbrowser
from dataclasses import dataclass
from typing import Any

from ..errors import MorsenetError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _check(host: str, port: int) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise MorsenetError(f"--port must be an integer in 0..65535 (0: any free port), got {port!r}")
    if not isinstance(host, str) or not host:
        raise MorsenetError(f"--host must be a host name or address, got {host!r}")


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket (so a busy port is one clear error, and port 0 picks a free one)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise MorsenetError(f"--host {host!r}: cannot resolve it ({err.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as err:
        sock.close()
        raise MorsenetError(
            f"cannot listen on {host}:{port} ({err.strerror}); choose another port with --port (0: any free one)"
        ) from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _warm_up() -> None:
    from ._rate import warm_up

    warm_up()


def _server(sock: socket.socket, log_level: str) -> Any:
    import uvicorn

    from ._server import create_app

    config = uvicorn.Config(create_app(), log_level=log_level, lifespan="on", access_log=False)
    return uvicorn.Server(config)


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    open_browser: bool = True,
    log_level: str = "warning",
    threads: int | None = None,
) -> None:
    """Serve the explorer until interrupted (Ctrl-C); prints the URL and opens it unless `open_browser` is False.
    `threads`, when given, sets torch's intra-op threads for the process (the CLI uses 1: the models are tiny,
    and a free core keeps the views coming while training runs)."""
    _check(host, port)
    sock = _bind(host, port)
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    url = _url(host, sock.getsockname()[1])
    server = _server(sock, log_level)
    threading.Thread(target=_warm_up, daemon=True).start()
    print(f"morsenet explore: serving on {url} (Ctrl-C to stop)", flush=True)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server.run(sockets=[sock])


@dataclass
class BackgroundServer:
    """A running explorer in a daemon thread: `url`, and `stop()` to shut it down."""

    url: str
    server: Any
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_background(host: str = DEFAULT_HOST, port: int = 0, *, timeout: float = 30.0) -> BackgroundServer:
    """Start the explorer in a daemon thread and wait until it answers; port 0 picks a free port."""
    _check(host, port)
    sock = _bind(host, port)
    url = _url(host, sock.getsockname()[1])
    server = _server(sock, "warning")  # uvicorn installs no signal handlers outside the main thread
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="morsenet-explore")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise MorsenetError(f"the explorer did not start on {url}")
        time.sleep(0.02)
    threading.Thread(target=_warm_up, daemon=True).start()
    return BackgroundServer(url, server, thread)


_NOTEBOOK: BackgroundServer | None = None


def explore_inline(*, host: str = DEFAULT_HOST, port: int = 0, width: int = 1400, height: int = 1000) -> Any:
    """Start the explorer once per process in a background thread and show it: an IPython IFrame when IPython
    is importable (a notebook displays it inline), else the URL."""
    global _NOTEBOOK
    if _NOTEBOOK is None or not _NOTEBOOK.thread.is_alive():
        _NOTEBOOK = start_background(host, port)
    try:
        from IPython.display import IFrame  # type: ignore[import-not-found]
    except ImportError:
        return _NOTEBOOK.url
    return IFrame(_NOTEBOOK.url, width=width, height=height)
