"""Capture what a terminal shows during `keras-resnet train --epochs 3` (run-level progress and ETA).

Run: python examples/scripts/train_progress.py   (writes examples/results/train_progress.txt)

The command runs on a pseudo-terminal, as in a shell, so Keras draws its live bar. The bar
redraws itself in place with carriage returns and colours; the capture keeps each line's final
state without the colour codes, which is what the terminal shows when the run ends.
"""

import os
import pty
import re
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def capture(args: list[str]) -> str:
    leader, follower = pty.openpty()
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait()
    text = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r\n", "\n")
    lines = [line.split("\r")[-1] or line.rstrip("\r").split("\r")[-1] for line in text.split("\n")]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "runs", "resnet20-digits")
        shown = "keras-resnet train --epochs 3 --out runs/resnet20-digits"
        text = capture([sys.executable, "-m", "keras_resnet", "train", "--epochs", "3", "--out", out])
    text = text.replace(out, "runs/resnet20-digits")
    (RESULTS / "train_progress.txt").write_text(f"$ {shown}\n{text}", encoding="utf-8")
    print(f"wrote {RESULTS / 'train_progress.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
