"""Private helpers shared by the public entry points: seeds, dtypes and small checks."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import tempfile
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO

import torch

from .errors import MorsenetError

Seed = int | torch.Generator | None

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def as_generator(seed: Seed) -> torch.Generator:
    """Turn a user-supplied seed into a private `torch.Generator` (never global state)."""
    if isinstance(seed, torch.Generator):
        return seed
    gen = torch.Generator()
    if seed is None:
        gen.seed()
    elif isinstance(seed, int) and not isinstance(seed, bool):
        if not -(2**63) <= seed < 2**64:
            raise MorsenetError(f"seed must be a 64-bit integer, got {seed}")
        gen.manual_seed(seed)
    else:
        raise TypeError(f"seed must be an int, a torch.Generator or None; got {type(seed).__name__}")
    return gen


def as_dtype(name: str | torch.dtype) -> torch.dtype:
    """Map "float32"/"float64" (or a dtype) to a torch dtype."""
    if isinstance(name, torch.dtype):
        return name
    try:
        return DTYPES[name]
    except KeyError:
        raise MorsenetError(f"dtype must be one of {sorted(DTYPES)}, got {name!r}") from None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader never sees a half-written file (temporary file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 text twin of `atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def intra_op_threads(threads: int | None) -> Iterator[None]:
    """Run with `threads` torch intra-op threads (None: leave the setting alone), restoring it afterwards.

    The models here are tiny: one thread is faster than two (no waiting on a descheduled thread) and gives
    the same last bits on every machine, which keeps training reproducible.
    """
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if threads is not None:
            torch.set_num_threads(before)


# Seeds are handed to torch.Generator.manual_seed; retries and sweeps add small offsets to them.
MAX_SEED = 2**62


def check_seed_value(where: str, value: object) -> int:
    """An integer seed in 0..2^62 (torch's generators take 64-bit seeds; retries and sweeps add offsets)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise MorsenetError(f"{where} must be an integer in 0..2^62, got {value!r}")
    return value


def finite_number(where: str, value: object, *, want: str = "a finite number") -> float:
    """`value` as a float if it is a finite int or float (never a bool), else one line naming `where`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MorsenetError(f"{where} must be {want}, got {value!r}")
    return float(value)


def bounded_int(where: str, value: object, lo: int, hi: int, *, why: str = "") -> int:
    """An int in lo..hi (never a bool); the message states the range and, for the upper bound, `why`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MorsenetError(f"{where} must be an integer in {lo}..{hi:,}, got {value!r}")
    if value < lo:
        raise MorsenetError(f"{where} must be >= {lo}, got {value}")
    if value > hi:
        raise MorsenetError(f"{where} must be <= {hi:,}{f' ({why})' if why else ''}, got {value:,}")
    return value


def read_text(path: Path, what: str) -> str:
    """The UTF-8 text of `path` (a byte-order mark is dropped); one line naming the file for anything else."""
    path = Path(path)
    if path.is_dir():
        raise MorsenetError(f"{what} {str(path)!r} is a directory, not a file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MorsenetError(f"no {what} {str(path)!r}") from None
    except OSError as err:
        raise MorsenetError(f"cannot read {what} {str(path)!r} ({err.strerror or err})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise MorsenetError(
            f"{what} {str(path)!r} is not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); "
            "save it as UTF-8"
        ) from None


def check_text_path(where: str, path: str | Path) -> Path:
    """A path given on the command line that can be printed and written back as text (valid UTF-8)."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MorsenetError(f"{where} {text!r} is not valid UTF-8; choose a plain name") from None
    if "\x00" in text:
        raise MorsenetError(f"{where} {text!r} holds a NUL character")
    return Path(text)


def check_new_folder(where: str, path: str | Path, *, may_exist_empty: bool = True) -> Path:
    """Check, writing nothing, that the folder `path` can be created: it does not exist (or is an empty folder
    when `may_exist_empty`), no parent is a regular file, and the nearest existing parent is writable.

    Raises:
        MorsenetError: one line naming `where`, the path and what is wrong.
    """
    path = check_text_path(where, path)
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise MorsenetError(f"{where} {str(path)!r} exists and is a file; choose a new folder")
        if not may_exist_empty or any(path.iterdir()):
            raise MorsenetError(f"{where} {str(path)!r} exists and is not empty; choose a new folder")
        return path
    return check_creatable(where, path)


def check_creatable(where: str, path: Path) -> Path:
    """Check that the missing folder `path` can be made: no parent is a file, the nearest existing one writable."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise MorsenetError(f"{where} {str(path)!r} is under {str(parent)!r}, which is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise MorsenetError(f"{where} {str(path)!r}: the folder {str(parent)!r} is not writable")
    try:  # os.access trusts permission bits (always yes for root); a read-only file system says no only here
        os.rmdir(tempfile.mkdtemp(dir=parent, prefix=".morsenet-probe-"))
    except OSError as err:
        raise MorsenetError(
            f"{where} {str(path)!r}: the folder {str(parent)!r} is not writable ({err.strerror or err})"
        ) from None
    return path


def make_folder(where: str, path: Path, *, exist_ok: bool = False) -> None:
    """`mkdir -p` with every OS error (read-only file system, permission, a racing creator) as one line."""
    try:
        path.mkdir(parents=True, exist_ok=exist_ok)
    except FileExistsError:
        raise MorsenetError(f"{where} {str(path)!r} exists; choose a new folder") from None
    except OSError as err:
        raise MorsenetError(f"{where} {str(path)!r} cannot be created ({err.strerror or err})") from None


class FolderLock:
    """An exclusive lock on a folder (`<folder>/.lock`, holding the owner's pid), so that two processes never
    write into the same run or sweep folder; the file is removed when the lock is released.

    `flock` locks die with their process, so a lock left by a killed process is never mistaken for a live one.
    """

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / ".lock"
        self._fh: IO[str] | None = None

    def holder(self) -> int | None:
        """The pid of the live process that holds the lock, or None when nobody does (writes nothing)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return None
        try:
            fh = open(self.path)  # noqa: SIM115 - closed below
        except OSError:
            return None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            text = fh.read().strip()
            return int(text) if text.isdigit() else -1
        finally:
            fh.close()
        return None

    def acquire(self) -> bool:
        """Take the lock; False when another process holds it."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: the caller is trusted to run one writer
            return True
        while True:
            fh = open(self.path, "a+")  # noqa: SIM115 - held until release()
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                return False
            try:  # the file may have been removed by its last holder between our open and our flock
                same = os.stat(self.path).st_ino == os.fstat(fh.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            fh.close()
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            self.path.unlink(missing_ok=True)
            self._fh.close()
            self._fh = None


def device_problem(device: object) -> str | None:
    """Why torch cannot train on `device` here ("banana", "cuda" without CUDA, "cuda:7" with one GPU), or None.

    Runs on Dask workers too (`Client.run`), so it returns text rather than raising.
    """
    if not isinstance(device, str):
        return f"{device!r} is not a device name; use cpu, cuda, cuda:N or mps"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        return f"{device!r} is not a torch device; use cpu, cuda, cuda:N or mps"
    if dev.type == "cpu":
        return None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            why = "this torch is built without CUDA" if torch.version.cuda is None else "no CUDA GPU is visible"
            return f"{device!r} cannot be used: {why}; use --device cpu"
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            return f"{device!r} cannot be used: only {torch.cuda.device_count()} CUDA device(s) are visible"
        return None
    if dev.type == "mps":
        return None if torch.backends.mps.is_available() else f"{device!r} cannot be used: MPS is not available"
    return f"{device!r}: morsenet trains on cpu, cuda or mps"


@contextlib.contextmanager
def sigint_ignored() -> Generator[None, None, None]:
    """Ignore SIGINT while worker processes are started (Dask workers, a process pool): they inherit it, so
    Ctrl-C, which a terminal sends to the whole process group, reaches only this process, which then stops the
    workers itself, quietly (no traceback per worker). Only the main thread can change signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
