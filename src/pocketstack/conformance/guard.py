"""Signal handling: SIGTERM/SIGHUP become exceptions so finally-blocks clean up; cleanup is shielded."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class Interrupted(BaseException):
    """Raised in the main thread when SIGTERM or SIGHUP arrives (SIGINT raises KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


_SIGNALS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)
_pending: list[int] = []
_shield_depth = 0


def _raise(signum: int, _frame: FrameType | None) -> None:
    if _shield_depth:
        _pending.append(signum)
        return
    raise Interrupted(signum)


def _defer(signum: int, _frame: FrameType | None) -> None:
    _pending.append(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into Interrupted for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {s: signal.signal(s, _raise) for s in _SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def shielded() -> Iterator[None]:
    """Run a cleanup to the end: signals (SIGINT included) that arrive meanwhile are re-raised afterwards."""
    global _shield_depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_int = signal.signal(signal.SIGINT, _defer)
    _shield_depth += 1
    try:
        yield
    finally:
        _shield_depth -= 1
        signal.signal(signal.SIGINT, previous_int)
        if not _shield_depth and _pending:
            signum = _pending.pop(0)
            _pending.clear()
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise Interrupted(signum)
