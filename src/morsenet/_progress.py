"""Progress on the terminal: one tqdm bar per long phase (training, analyses, figures, report), silent elsewhere.

A bar shows only when asked for and stderr is a terminal (`wanted`); otherwise every call is a no-op, so
library code can report progress unconditionally and scripts, logs and tests stay quiet.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

__all__ = ["Phase", "phase", "wanted"]


def wanted(progress: bool | None = None, *, quiet: bool = False, stream: Any = None) -> bool:
    """Whether to show progress: never with `quiet`; `progress` None means "when the stream is a terminal"."""
    if quiet or progress is False:
        return False
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Phase:
    """A counted phase: `step(note)` advances it by one and shows `note`; a disabled phase does nothing.

    Use as a context manager (the bar is closed and cleared on exit).
    """

    def __init__(self, desc: str, total: int, *, enabled: bool) -> None:
        self.desc, self.total, self.done = desc, total, 0
        self._bar: Any = None
        if enabled and total > 0:
            from tqdm import tqdm  # a dependency; imported only when a bar shows

            self._bar = tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True, file=sys.stderr)

    @property
    def enabled(self) -> bool:
        return self._bar is not None

    def step(self, note: str = "", n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            if note:
                self._bar.set_postfix_str(note, refresh=False)
            self._bar.update(n)

    def note(self, note: str) -> None:
        """Show `note` without advancing (what is being worked on now)."""
        if self._bar is not None:
            self._bar.set_postfix_str(note)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Phase:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def phase(desc: str, total: int, progress: bool | None = None, *, quiet: bool = False) -> Phase:
    """A `Phase` of `total` steps, shown when `wanted(progress, quiet=quiet)`."""
    return Phase(desc, total, enabled=wanted(progress, quiet=quiet))
