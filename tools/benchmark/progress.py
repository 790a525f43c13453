"""A one-line progress bar on stderr, drawn only when stderr is a terminal (never in logs)."""

import sys
import time
from typing import TextIO


class ProgressBar:
    """`update(fraction)` redraws at most ten times a second; `close()` ends the line."""

    WIDTH = 40

    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self._drawn_at = 0.0
        self._fraction = 0.0

    def update(self, fraction: float) -> None:
        self._fraction = min(max(fraction, 0.0), 1.0)
        now = time.monotonic()
        if not self.enabled or now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        self._draw()

    def _draw(self) -> None:
        filled = int(self._fraction * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self._fraction * 100:5.1f}%")
        self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        self._fraction = 1.0
        self._draw()
        self.stream.write("\n")
        self.stream.flush()
