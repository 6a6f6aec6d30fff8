"""The READMEs are a front door: short, installation first, then the journey users come for (fine-tune a
pretrained net on a folder, export, predict), and links that lead to the guide pages where the long
sections live.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = ["README.md", "README.zh-CN.md"]
JOURNEY = [
    "keras-resnet train --model resnet50 --weights imagenet --dataset folder:my_photos --recipe fine-tune",
    "keras-resnet export runs/my_photos --quantize float32,int8 --out saved_models/my_photos",
    "keras-resnet predict saved_models/my_photos/model_int8.tflite photo.jpg",
]


def sections(text: str) -> list[str]:
    """The text of each `## ` section, in order (code blocks included)."""
    return re.split(r"^## ", text, flags=re.MULTILINE)[1:]


def first_code_block(text: str) -> str:
    match = re.search(r"^```[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


@pytest.mark.parametrize("name", READMES)
def test_the_readme_has_at_most_350_lines(name):
    lines = (ROOT / name).read_text(encoding="utf-8").count("\n")
    assert lines <= 350, f"{name} has {lines} lines: move long sections into docs/ pages"


@pytest.mark.parametrize("name", READMES)
def test_installation_comes_first_and_the_journey_is_the_first_example_after_it(name):
    install, journey = sections((ROOT / name).read_text(encoding="utf-8"))[:2]
    assert "pip install -e ." in first_code_block(install)
    block = first_code_block(journey)
    assert all(command in block for command in JOURNEY), f"{name}: the second section must open on {JOURNEY}"


@pytest.mark.parametrize("name", READMES)
def test_every_link_of_the_readme_into_the_repository_exists(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not re.match(r"^[a-z]+:", t)]
    assert any(t.startswith("docs/") for t in local), "the README links to no guide page"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"{name} links to missing files: {missing}"
