"""`morsenet explore`: a live playground in the browser.

Settings (`parse_settings`: the form and URL query, checked as a one-model study), sessions (`Session`: a model
trained in a background thread, views computed from snapshots of its weights), the ASGI app (`create_app`)
and ways to run it (`serve` in the foreground, `start_background` in a thread, `measure_update_rate`).
"""

import sys
import types
from typing import Any

from ._rate import measure_update_rate as measure_update_rate
from ._serve import BackgroundServer as BackgroundServer
from ._serve import explore_inline as explore_inline
from ._serve import serve as serve
from ._serve import start_background as start_background
from ._server import MAX_UPLOAD_BYTES as MAX_UPLOAD_BYTES
from ._server import Sessions as Sessions
from ._server import create_app as create_app
from ._session import Session as Session
from ._settings import DEFAULTS as DEFAULTS
from ._settings import Settings as Settings
from ._settings import options as options
from ._settings import parse_settings as parse_settings

__all__ = [
    "DEFAULTS", "MAX_UPLOAD_BYTES", "BackgroundServer", "Session", "Sessions", "Settings", "create_app",
    "explore_inline", "measure_update_rate", "options", "parse_settings", "serve", "start_background",
]  # fmt: skip


class _CallableModule(types.ModuleType):
    """Importing this package makes `morsenet.explore` the module, replacing the function of that name in
    `morsenet`; calling the module does what the function does, so `morsenet.explore()` works either way."""

    def __call__(self, **kwargs: Any) -> Any:
        return explore_inline(**kwargs)


sys.modules[__name__].__class__ = _CallableModule
