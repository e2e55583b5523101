"""sys.stdout and sys.stderr of the kernel: text goes to the client as `stream` notifications.

Text is sent at every newline once 50 ms have passed since the last send (so a loop of prints
streams without one message per line), and always when the cell ends or something else is
displayed, keeping the order of outputs.
"""

import io
import time

from . import channel

_FLUSH_INTERVAL = 0.05
_MAX_BUFFER = 1 << 16


class Stream(io.TextIOBase):
    def __init__(self, name):
        super().__init__()
        self.name = name
        self._parts = []
        self._size = 0
        self._last = 0.0

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if s:
            self._parts.append(s)
            self._size += len(s)
            if self._size > _MAX_BUFFER or ("\n" in s and time.monotonic() - self._last > _FLUSH_INTERVAL):
                self.flush()
        return len(s)

    def flush(self):
        if self._parts:
            text = "".join(self._parts)
            self._parts.clear()
            self._size = 0
            self._last = time.monotonic()
            channel.send("stream", {"name": self.name, "text": text})


stdout = Stream("stdout")
stderr = Stream("stderr")


def flush_all():
    stdout.flush()
    stderr.flush()
