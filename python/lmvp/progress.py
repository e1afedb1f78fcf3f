"""Progress of long transfers, on stderr when it is a terminal."""

import sys
import time


class Progress:
    """Prints 'verb name: done/total (rate)' on one line, at most a few times a second; silent unless stderr is a terminal."""

    def __init__(self, verb, name, total, stream=None):
        self._stream = stream or sys.stderr
        self._enabled = stream is not None or self._stream.isatty()
        self._verb = verb
        self._name = name
        self._total = total
        self._done = 0
        self._start = time.monotonic()
        self._last = 0.0

    def advance(self, n):
        """Counts n more bytes."""
        self._done += n
        now = time.monotonic()
        if self._enabled and now - self._last > 0.25:
            self._last = now
            self._print(now)

    def finish(self):
        """Prints the final line."""
        if self._enabled:
            self._print(time.monotonic())
            self._stream.write("\n")
            self._stream.flush()

    def _print(self, now):
        rate = self._done / max(now - self._start, 1e-6) / 1e6
        percent = f"{100 * self._done / self._total:5.1f}%" if self._total else "100.0%"
        self._stream.write(f"\r{self._verb} {self._name}: {percent} of {self._total / 1e6:,.1f} MB ({rate:,.0f} MB/s)")
        self._stream.flush()
