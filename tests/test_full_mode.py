"""Tutobooks' full-mode runs: the runner runs a tutobook with quick mode off and keeps what it
printed, and the figures a tutobook's text quotes from its full mode are in its recorded run."""

import re
from pathlib import Path

import pytest

from tests.conftest import load_example_script

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RECORDS = EXAMPLES / "results" / "full_mode"


full_mode = load_example_script("full_mode")

# Figures each tutobook's text quotes from its full mode, as its text writes them; every one must
# appear in the text and in the run on record.
QUOTED = {
    "residual_connections_zh": {
        "plain-20's first and last training error": ("85.8 %", "5.3 %"),
        "plain-56's training error, stuck over 8 epochs": ("84.6 %", "89.7 %"),
        "ResNet-56's last training error, below plain-20's": ("1.8 %",),
        "stem/classifier ratio of plain-20 and ResNet-20, 56, 110": ("3.58", "0.528", "0.31", "0.228"),
        "the v2 ratio at depth 110": ("1.74",),
    },
    "identity_mapping_ablations": {
        "ResNet-110's stem/classifier ratio per shortcut variant": (
            "0.434",
            "1.18e+05",
            "1.67e+05",
            "0.186",
            "8.59",
            "88.6",
            "70",
        ),
        "the placements' ratios: bn_after_add, then the lowest and highest of the rest": (
            "773",
            "0.14",
            "1.46",
        ),
    },
    "quickstart": {"the test accuracy after 15 epochs": ("99.44",), "the run's wall time": ("0.8 min",)},
    "blocks_tour": {"ResNet-20's trainable parameters with option A shortcuts": ("269,722",)},
    "export_tflite": {
        "largest difference from Keras: float32, float16, int8": ("8.94e-07", "2.22e-03", "7.72e-02"),
        "top-1 agreement and the int8 file's size": ("100.0 %", "301.7 KiB", "1.0 MiB"),
    },
    "loss_landscape": {
        "training accuracy at the centre": ("1.0000",),
        "locally convex share: plain-20, ResNet-20": ("50 %", "44 %"),
    },
    "feature_pyramid": {
        "the test mean IoU over the last epochs and at the end": ("0.9236", "0.9251", "0.925")
    },
    "residual_vs_plain": {
        "final train / test error: plain-20, plain-56, ResNet-20, ResNet-56": (
            "0.24",
            "1.94",
            "20.45",
            "21.11",
            "0.08",
            "1.11",
            "0.16",
            "0.83",
        ),
        "the run's wall time": ("11.3 min",),
    },
    "identity_mapping": {
        "the classifier's gradient at initialisation, default and zero-initialised": ("2.96", "0.259"),
        "the zero-initialised net's accuracy after 4 and 12 epochs, and validation": (
            "0.2411",
            "0.7772",
            "0.8111",
        ),
    },
    "lesion_study": {
        "ResNet-20 intact, median and worst single deletion": ("0.6 %", "35.6 %", "81.9 %"),
        "plain-20 intact, median and best single deletion": ("1.7 %", "89.4 %", "69.7"),
        "the two harmless residual deletions": ("5.6", "0.8"),
        "random deletions of 1, 2 and 5 residual units": ("33.7", "62.7", "86.7"),
        "the downsampling units": ("44.7", "64.4"),
        "the whole full mode's wall time": ("4.9 min",),
    },
}


def _plain(text: str) -> str:
    """Numbers as a run prints them: no space before %, no thousands commas."""
    return re.sub(r"(?<=\d),(?=\d{3})", "", text.replace(" %", "%"))


def test_the_runner_runs_a_tutobook_with_quick_mode_off_and_keeps_what_it_printed(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_RESNET_QUICK", "1")
    book = tmp_path / "hello.py"
    book.write_text(
        "import os\nimport matplotlib\n"
        "print('quick', os.environ.get('KERAS_RESNET_QUICK'), 'backend', matplotlib.get_backend())\n"
    )
    run = full_mode.run_one(book, timeout=120)
    assert run["status"] == "0" and run["name"] == "hello"
    assert "quick none backend agg" in run["output"].lower()
    full_mode.record(run, tmp_path / "records")
    full_mode.record({**run, "status": "1"}, tmp_path / "records")  # a rerun replaces the row
    table = (tmp_path / "records" / "README.md").read_text()
    assert [line for line in table.splitlines() if line.startswith("| hello |")][0].endswith("| 1 |")
    assert table.count("| hello |") == 1
    assert "quick None" in (tmp_path / "records" / "hello.txt").read_text()


def test_quick_mode_runs_with_the_variable_ci_sets(tmp_path):
    book = tmp_path / "hello.py"
    book.write_text("import os\nprint('quick', os.environ.get('KERAS_RESNET_QUICK'))\n")
    run = full_mode.run_one(book, timeout=120, quick=True)
    assert "quick 1" in run["output"] and run["mode"] == "quick mode"


def test_the_runner_refuses_while_an_earlier_run_a_tutobook_would_resume_is_there(tmp_path, monkeypatch):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "book.py").write_text("print('ran')\n")
    earlier = tmp_path / "examples_output" / "book" / "run"
    earlier.mkdir(parents=True)
    (earlier / "last.keras").write_text("an earlier run")
    monkeypatch.setattr(full_mode, "ROOT", tmp_path)
    monkeypatch.setattr(full_mode, "EXAMPLES", tmp_path / "examples")
    with pytest.raises(SystemExit, match="holds an earlier run"):
        full_mode.main(["book"])
    assert (earlier / "last.keras").read_text() == "an earlier run"


def test_a_tutobook_that_fails_is_recorded_with_its_exit_status(tmp_path):
    book = tmp_path / "broken.py"
    book.write_text("raise SystemExit(3)\n")
    run = full_mode.run_one(book, timeout=120)
    assert run["status"] == "3"


@pytest.mark.parametrize("name", sorted(QUOTED))
def test_the_figures_a_tutobooks_text_quotes_are_those_of_its_recorded_full_mode_run(name):
    text = _plain((EXAMPLES / f"{name}.py").read_text(encoding="utf-8"))
    record = RECORDS / f"{name}.txt"
    assert record.is_file(), (
        f"no full-mode run on record: PYTHONPATH=. python examples/scripts/full_mode.py {name}"
    )
    output = _plain(record.read_text(encoding="utf-8"))
    assert re.search(r"\| " + name + r" \|.*\| 0 \|$", output, re.MULTILINE), "the recorded run failed"
    for claim, figures in QUOTED[name].items():
        for figure in map(_plain, figures):
            assert _quotes(text, figure), f"{name}'s text no longer quotes {figure} ({claim})"
            assert _quotes(output, figure), f"{name}'s full-mode run did not print {figure} ({claim})"


def _quotes(text: str, figure: str) -> bool:
    """`figure` stands in `text` as a number of its own (0.8 is not the end of 30.8 or 0.85)."""
    return re.search(r"(?<![\d.])" + re.escape(figure) + r"(?![\d])", text) is not None
