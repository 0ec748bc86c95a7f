"""Loggers that import structlog when they first log, not when their module is imported.

``structlog``'s package import loads its console renderer, which imports ``rich`` (pretty
printing, tracebacks, pygments' lexers), and its stdlib integration, which imports ``asyncio``:
about 90 ms of a fresh process on this project's machine, paid by every ``quorum review`` even
though a review that goes well logs nothing. :func:`get_logger` returns a stand-in that imports
structlog and calls ``structlog.get_logger(name)`` on its first attribute access, then hands every
call to that logger; what is logged, and how it is configured (``structlog.configure``,
``structlog.testing.capture_logs``), is exactly as with ``structlog.get_logger``, which is itself
lazy about its configuration. Source: structlog documentation, "Configuration" (loggers returned
by ``get_logger`` are lazy proxies bound on first use).
"""

from __future__ import annotations

from typing import Any


class LazyLogger:
    """``structlog.get_logger(name)`` on first use (any attribute: ``info``, ``bind``, ...)."""

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str | None) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attr: str) -> Any:
        logger = self._logger
        if logger is None:
            import structlog  # noqa: PLC0415 - the point of this class

            logger = self._logger = structlog.get_logger(self._name) if self._name is not None else structlog.get_logger()
        return getattr(logger, attr)


def get_logger(name: str | None = None) -> LazyLogger:
    """A logger named ``name`` that imports structlog on its first call (see the module docstring)."""
    return LazyLogger(name)
