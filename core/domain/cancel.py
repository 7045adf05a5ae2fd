"""Cancellation token shared by the engine, the controller and the desktop bridge."""

from __future__ import annotations

import threading

from core.errors import ImportCancelled


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise ImportCancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; return True early if cancelled (used by retry back-off)."""
        return self._event.wait(seconds)
