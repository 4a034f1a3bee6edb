"""The explorer's ASGI app (Starlette): the page, its static assets and a small JSON API with server-sent events.

Bad input never gives a server error: a `MorsenetError` becomes HTTP 400 with {"error": "..."} (the page shows
it next to the form); an unexpected error is logged once per kind and answered with HTTP 500 and a message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..datasets import load_csv
from ..errors import MorsenetError
from ._session import Session
from ._settings import options, parse_settings

log = logging.getLogger("morsenet.explore")

MAX_UPLOAD_BYTES = 1 << 20  # CSV uploads: 1 MiB
MAX_SESSIONS = 32
SESSION_TIMEOUT = 600.0  # seconds without a request before a session is closed
MAX_RATE = 20.0  # view updates per second per stream, at most


class UnknownSession(LookupError):
    """No open session has this id (never created, closed, or cleaned up after the timeout)."""


class Sessions:
    """The open sessions by id; sessions unseen for `timeout` seconds are closed by `sweep`."""

    def __init__(self, timeout: float = SESSION_TIMEOUT, limit: int = MAX_SESSIONS) -> None:
        self.timeout, self.limit = timeout, limit
        self._items: dict[str, Session] = {}
        self._lock = threading.Lock()

    def add(self, session: Session) -> Session:
        self.sweep()
        with self._lock:
            if len(self._items) >= self.limit:
                oldest = min(self._items.values(), key=lambda s: s.last_seen)
                self._items.pop(oldest.id).close()
            self._items[session.id] = session
        return session

    def get(self, sid: str) -> Session:
        with self._lock:
            session = self._items.get(sid)
        if session is None:
            raise UnknownSession(sid)
        session.touch()
        return session

    def remove(self, sid: str) -> None:
        with self._lock:
            session = self._items.pop(sid, None)
        if session is not None:
            session.close()

    def __len__(self) -> int:
        return len(self._items)

    def sweep(self, now: float | None = None) -> list[str]:
        """Close and forget sessions not seen for `timeout` seconds; returns their ids."""
        now = time.monotonic() if now is None else now
        with self._lock:
            stale = [s for s in self._items.values() if now - s.last_seen > self.timeout]
            for s in stale:
                del self._items[s.id]
        for s in stale:
            s.close()
        return [s.id for s in stale]

    def close_all(self) -> None:
        with self._lock:
            items, self._items = list(self._items.values()), {}
        for s in items:
            s.close()


class _ErrorLog:
    """Logs each kind of unexpected error once (type and message), not a traceback per update."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, err: BaseException, where: str) -> str:
        key = (type(err).__name__, str(err))
        if key not in self.seen:
            self.seen.add(key)
            log.error("morsenet explore: %s failed", where, exc_info=err)
        return f"internal error in {where}: {type(err).__name__}: {err}"


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MorsenetError("the request body must be a JSON object of settings") from None
    if not isinstance(body, dict):
        raise MorsenetError("the request body must be a JSON object of settings")
    return body


def create_app(*, upload_dir: Path | None = None, session_timeout: float = SESSION_TIMEOUT) -> Starlette:
    """The explorer app; uploads go to `upload_dir` (default: a temporary folder removed at shutdown)."""
    sessions = Sessions(session_timeout)
    errors = _ErrorLog()
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if upload_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="morsenet-explore-")
        upload_dir = Path(tmp.name)
    uploads = Path(upload_dir)
    static = resources.files("morsenet.explore") / "static"

    def settings_of(body: dict[str, Any]):
        return parse_settings(body, upload_dir=uploads)

    def session_of(request: Request) -> Session:
        return sessions.get(request.path_params["sid"])  # UnknownSession: 404

    async def index(request: Request) -> Response:
        return FileResponse(str(static / "index.html"), media_type="text/html")

    async def get_options(request: Request) -> Response:
        return JSONResponse(options())

    async def create(request: Request) -> Response:
        settings = await anyio.to_thread.run_sync(settings_of, await _json_body(request))
        session = sessions.add(await anyio.to_thread.run_sync(Session, settings))
        return JSONResponse(session.info())

    async def info(request: Request) -> Response:
        return JSONResponse(session_of(request).info())

    async def update(request: Request) -> Response:
        session = session_of(request)
        settings = await anyio.to_thread.run_sync(settings_of, await _json_body(request))
        await anyio.to_thread.run_sync(session.apply, settings)
        return JSONResponse(session.info())

    async def control(request: Request) -> Response:
        session = session_of(request)
        action = (await _json_body(request)).get("action")
        if action not in ("play", "pause", "step", "reset"):
            raise MorsenetError(f"action must be play, pause, step or reset, got {action!r}")
        await anyio.to_thread.run_sync(session.control, action)
        return JSONResponse({"status": session.status, "epoch": session.epoch})

    async def view(request: Request) -> Response:
        session = session_of(request)
        return JSONResponse(await anyio.to_thread.run_sync(session.view))

    async def analyze(request: Request) -> Response:
        session = session_of(request)
        return JSONResponse(await anyio.to_thread.run_sync(session.analyze_now))

    async def stream(request: Request) -> Response:
        session = session_of(request)
        try:
            limit = int(request.query_params.get("max", "0"))
        except ValueError:
            raise MorsenetError("max must be an integer (0: no limit)") from None

        async def events() -> AsyncIterator[str]:
            sent, last_key, last_beat = 0, None, time.monotonic()
            while limit <= 0 or sent < limit:
                started = time.monotonic()
                if await request.is_disconnected():
                    return
                try:
                    payload = await anyio.to_thread.run_sync(session.view)
                except Exception as err:  # logged once; the page shows it and the stream goes on
                    yield f"event: failure\ndata: {json.dumps({'error': errors(err, 'a view update')})}\n\n"
                    await asyncio.sleep(1.0)
                    continue
                a = payload["analysis"]
                key = (payload["generation"], payload["version"], payload["status"], None if a is None else
                       a.get("computed_at"), payload["second"]["kind"], payload["analysis_running"])  # fmt: skip
                if key != last_key:
                    last_key, sent, last_beat = key, sent + 1, time.monotonic()
                    yield f"data: {json.dumps(payload)}\n\n"
                elif time.monotonic() - last_beat > 10:
                    last_beat = time.monotonic()
                    yield ": keep-alive\n\n"
                await asyncio.sleep(max(0.02, 1 / MAX_RATE - (time.monotonic() - started)))

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    async def export(request: Request) -> Response:
        session = session_of(request)
        headers = {"Content-Disposition": 'attachment; filename="explore_study.toml"'}
        return PlainTextResponse(session.settings.export_toml(), headers=headers, media_type="application/toml")

    async def checkpoint(request: Request) -> Response:
        session = session_of(request)
        data = await anyio.to_thread.run_sync(session.checkpoint)
        headers = {"Content-Disposition": 'attachment; filename="explored.pt"'}
        return Response(data, media_type="application/octet-stream", headers=headers)

    async def close(request: Request) -> Response:
        session = session_of(request)
        await anyio.to_thread.run_sync(sessions.remove, session.id)
        return JSONResponse({"closed": session.id})

    async def upload(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            return _bad(f"the CSV file is larger than {MAX_UPLOAD_BYTES // 1024} KiB; upload a smaller one", 413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                return _bad(f"the CSV file is larger than {MAX_UPLOAD_BYTES // 1024} KiB; upload a smaller one", 413)
            chunks.append(chunk)
        token = uuid.uuid4().hex
        path = uploads / f"{token}.csv"
        path.write_bytes(b"".join(chunks))
        name = request.query_params.get("name", "upload.csv")
        try:
            data = await anyio.to_thread.run_sync(load_csv, path)
            if data.input_dim != 2 or data.task != "classification":
                raise MorsenetError(
                    f"the explorer needs columns x1,x2,label (2-D classification); got {data.input_dim}-D {data.task}"
                )
        except MorsenetError as err:
            path.unlink(missing_ok=True)
            raise MorsenetError(str(err).replace(str(path), name)) from None
        return JSONResponse({"token": token, "n_points": int(data.x.shape[0]), "name": name})

    def guard(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            try:
                return await endpoint(request)
            except MorsenetError as err:
                return _bad(str(err))
            except UnknownSession:
                return _bad("unknown or expired session (closed after a while without requests); reload the page", 404)
            except Exception as err:
                return _bad(errors(err, f"{request.method} {request.url.path}"), 500)

        return guarded

    async def sweeper() -> None:
        while True:
            await asyncio.sleep(max(1.0, min(30.0, session_timeout / 4)))
            await anyio.to_thread.run_sync(sessions.sweep)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(sweeper())
        try:
            yield
        finally:
            task.cancel()
            sessions.close_all()
            if tmp is not None:
                tmp.cleanup()

    sid = "/api/session/{sid:str}"
    routes = [
        Route("/", guard(index)),
        Route("/api/options", guard(get_options)),
        Route("/api/session", guard(create), methods=["POST"]),
        Route(sid, guard(info)),
        Route(sid, guard(close), methods=["DELETE"]),
        Route(sid + "/close", guard(close), methods=["POST"]),  # navigator.sendBeacon can only POST
        Route(sid + "/settings", guard(update), methods=["POST"]),
        Route(sid + "/control", guard(control), methods=["POST"]),
        Route(sid + "/view", guard(view)),
        Route(sid + "/analysis", guard(analyze), methods=["POST"]),
        Route(sid + "/stream", guard(stream)),
        Route(sid + "/study.toml", guard(export)),
        Route(sid + "/checkpoint.pt", guard(checkpoint)),
        Route("/api/upload", guard(upload), methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sessions = sessions
    app.state.upload_dir = uploads
    return app
