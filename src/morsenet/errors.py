"""The one exception type users see: a one-line message naming what was wrong and how to fix it."""


class MorsenetError(ValueError):
    """A user-facing error with a one-line message."""
