"""Keep TensorFlow's C++ log lines off the terminal unless asked for.

TensorFlow, absl and LiteRT write lines such as `I0000 ... port.cc:153] oneDNN custom operations
are on` straight to file descriptor 2 when TensorFlow loads, before `TF_CPP_MIN_LOG_LEVEL` can act, so
Python's logging cannot filter them. `native_log_filter` points descriptor 2 at a pipe for the
duration and forwards every other line to the real stderr as it arrives.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

NATIVE_LOG_LINE = re.compile(
    rb"^(?:[IWEF]\d{4} \d+:\d+:\d+\.\d+ +\d+ [\w.]+:\d+\]"  # absl: I0000 00:00:... file.cc:12]
    rb"|WARNING: All log messages before absl::InitializeLog\(\)"
    rb"|INFO: Created TensorFlow Lite \w+ delegate"  # the LiteRT interpreter
    rb"|fully_quantize: \d+, inference_type)"  # the TFLite converter's quantiser
)


@contextlib.contextmanager
def native_log_filter() -> Iterator[None]:
    """Drop TensorFlow/absl C++ log lines from this process's stderr (and its children's)."""
    sys.stderr.flush()
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def forward() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for line in pipe:
                if not NATIVE_LOG_LINE.match(line):
                    os.write(original, line)

    thread = threading.Thread(target=forward, name="native-log-filter", daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, 2)
        thread.join(timeout=5)
        os.close(original)
