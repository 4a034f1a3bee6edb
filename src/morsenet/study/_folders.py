"""Run folders: where a run goes, checked before anything is written, and what an interrupted run left.

A run is built in `<out>.partial` (holding `.lock`, with the pid of the live run writing it) and renamed to
`<out>` when every model is saved. `morsenet run --resume <out>.partial` finishes an interrupted run: it reads
the resolved study the run stored, keeps every model whose checkpoint is complete, and trains the rest with
the same seeds, so the finished folder is the one an uninterrupted run writes.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .._validation import FolderLock, check_creatable, check_new_folder, check_text_path, read_text
from ..errors import MorsenetError
from ._config import Study, load_study, parse_study

PARTIAL = ".partial"

__all__ = ["PARTIAL", "Resumable", "default_run_dir", "load_resumable", "run_dir_for"]


def default_run_dir(study: Study, root: Path = Path("runs")) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = root / f"{study.name}-{stamp}"
    k = 2
    while path.exists() or path.with_name(path.name + PARTIAL).exists():
        path, k = root / f"{study.name}-{stamp}-{k}", k + 1
    return path


def _busy(partial: Path) -> MorsenetError | None:
    """The error for an existing `partial` folder: a live run writing it, or one that was interrupted."""
    pid = FolderLock(partial).holder()
    if pid is not None:
        who = f" (pid {pid})" if pid > 0 else ""
        return MorsenetError(
            f"a run is in progress in {str(partial)!r}{who}; wait for it to finish or choose another --out"
        )
    return None


def run_dir_for(study: Study, out: str | Path | None) -> Path:
    """The run folder of a new run of `study` (default runs/<study>-<time>), checked without writing anything.

    Raises:
        MorsenetError: when the folder exists (and is not empty), a parent is a file, the nearest existing
            parent is not writable, or `<folder>.partial` exists (a live run, or one to `--resume`).
    """
    final = default_run_dir(study) if out is None else check_text_path("--out", out)
    if final.name.endswith(PARTIAL):
        raise MorsenetError(f"--out {str(final)!r} ends in {PARTIAL!r}, which names unfinished runs; drop it")
    check_new_folder("--out", final) if out is not None else check_creatable("run folder", final)
    partial = final.with_name(final.name + PARTIAL)
    if partial.exists():
        raise _busy(partial) or MorsenetError(
            f"{str(partial)!r} is left from an interrupted run; finish it with `morsenet run --resume {partial}`,"
            " move it away, or choose another --out"
        )
    return final


@dataclass(frozen=True)
class Resumable:
    """An interrupted run: its `.partial` folder, the folder it becomes, its study, manifest and metrics."""

    partial: Path
    final: Path
    study: Study
    manifest: dict[str, Any]
    metrics: dict[str, Any]


def _json(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(read_text(path, what))
    except json.JSONDecodeError as err:
        raise MorsenetError(f"{path}: damaged {what} ({err.msg} at line {err.lineno}); it cannot be resumed") from None
    if not isinstance(data, dict):
        raise MorsenetError(f"{path}: damaged {what} (not a JSON object); it cannot be resumed")
    return data


def load_resumable(
    partial: str | Path,
    *,
    study: str | Path | None = None,
    overrides: Sequence[str] = (),
    quick: bool = False,
) -> Resumable:
    """Check an interrupted run folder and read what it holds (writes nothing).

    The run's own `study.toml` (the resolved study) is what is resumed; a `study`, `overrides` or `quick` given
    as well must describe the same study (else it is refused: a resumed run never mixes two studies).

    Raises:
        MorsenetError: for a folder that is missing, not a `.partial` run folder, being written by a live run,
            a finished run's name already taken, or a study that differs from the stored one.
    """
    partial = check_text_path("--resume", partial)
    if not partial.is_dir():
        what = "is not a folder" if partial.exists() else "does not exist"
        raise MorsenetError(f"--resume {str(partial)!r} {what}; give the <run>{PARTIAL} folder of an interrupted run")
    if not partial.name.endswith(PARTIAL) or not (partial / "study.toml").is_file():
        raise MorsenetError(
            f"--resume {str(partial)!r} is not an interrupted run (a <run>{PARTIAL} folder with study.toml)"
        )
    busy = _busy(partial)
    if busy is not None:
        raise busy
    final = partial.with_name(partial.name[: -len(PARTIAL)])
    if final.exists() and (not final.is_dir() or any(final.iterdir())):
        raise MorsenetError(f"--resume: {str(final)!r}, the folder the run becomes, exists; move it away first")
    source = str(partial / "study.toml")
    try:
        stored = parse_study(tomllib.loads(read_text(partial / "study.toml", "study file")), source=source)
    except tomllib.TOMLDecodeError as err:
        raise MorsenetError(f"{source}: damaged study file ({err}); it cannot be resumed") from None
    except MorsenetError as err:
        raise MorsenetError(f"{source}: {err}") from None
    manifest = _json(partial / "manifest.json", "manifest")
    if study is not None or overrides or quick:
        given = load_study(source if study is None else study, overrides=list(overrides), quick=quick)
        if given.to_dict() != stored.to_dict():
            differ = sorted(k for k, v in given.to_dict().items() if stored.to_dict().get(k) != v)
            raise MorsenetError(
                f"--resume {str(partial)!r}: the study given differs from the one the run started with "
                f"({', '.join(differ)}); resume without a study, --set or --quick, or start a new run"
            )
    metrics = _json(partial / "metrics.json", "metrics file") or {"complete": False, "models": {}}
    return Resumable(partial, final, stored, manifest, metrics)
