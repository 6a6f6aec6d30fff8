"""The Chinese documentation is a full version of the English one: README.zh-CN.md of README.md, and
docs/zh/PAGE.md of every guide page docs/PAGE.md (the README's long sections live there). The two
READMEs link to each other, and every figure, command and table the English text shows is in its
Chinese counterpart too.

A command is a line of a fenced code block that starts with `keras-resnet`, `pip`, `python` or
`bash`, compared without its trailing `# comment` (comments are translated). A figure is compared by
the repository path it points at, as each file's links are relative to its own folder. When an
English page gains a section, these tests name exactly the figures and commands the Chinese one
still lacks.
"""

import posixpath
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = ROOT / "README.md"
CHINESE = ROOT / "README.zh-CN.md"
DOCS = ROOT / "docs"
COMMAND_STARTS = ("keras-resnet", "pip", "python", "bash")
# index.md and zh.md only pull in the READMEs (docs/hooks.py); every other page has its own text
GUIDE_PAGES = sorted(p.name for p in DOCS.glob("*.md") if p.name not in ("index.md", "zh.md"))
PAIRS = [("README.md", "README.zh-CN.md")] + [(f"docs/{page}", f"docs/zh/{page}") for page in GUIDE_PAGES]


def figures(text: str, folder: str = "") -> list[str]:
    """The targets of the image links `![alt](target)`, as paths from the repository root."""
    targets = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
    return [posixpath.normpath(posixpath.join(folder, target)) for target in targets]


def code_lines(text: str) -> list[str]:
    """Every line inside a ``` fenced block, stripped of indentation and a trailing `# comment`."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced:
            lines.append(re.sub(r"\s+#\s.*$", "", line).strip())
    return lines


def commands(text: str) -> list[str]:
    return [line for line in code_lines(text) if line.startswith(COMMAND_STARTS)]


def han_characters(text: str) -> int:
    """Chinese characters outside code and link targets."""
    prose = re.sub(r"```.*?```|`[^`]*`|\([^)]*\)", "", text, flags=re.DOTALL)
    return len(re.findall(r"[\u4e00-\u9fff]", prose))


def read(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def test_the_readmes_link_to_each_other():
    assert "](README.zh-CN.md)" in ENGLISH.read_text(encoding="utf-8")
    assert "](README.md)" in CHINESE.read_text(encoding="utf-8")


def test_the_guide_pages_this_file_checks_exist():
    assert {"gradients.md", "ablations.md", "lesion.md", "landscape.md", "training.md"} <= set(GUIDE_PAGES)


def test_every_english_guide_page_has_a_chinese_one():
    missing = [f"docs/zh/{page}" for page in GUIDE_PAGES if not (DOCS / "zh" / page).is_file()]
    assert not missing, f"translate these guide pages: {missing}"


def test_the_chinese_documentation_is_chinese():
    readme = han_characters(CHINESE.read_text(encoding="utf-8"))
    pages = {p.name: han_characters(p.read_text(encoding="utf-8")) for p in (DOCS / "zh").glob("*.md")}
    assert readme > 1500, f"only {readme} Chinese characters outside code in README.zh-CN.md"
    assert readme + sum(pages.values()) > 10000, f"{readme} + {pages}: not a full translation"
    assert all(count > 100 for count in pages.values()), f"pages with little Chinese: {pages}"


@pytest.mark.parametrize(("english_path", "chinese_path"), PAIRS)
def test_every_figure_and_command_of_the_english_text_is_in_the_chinese_one(english_path, chinese_path):
    english, chinese = read(english_path), read(chinese_path)
    english_figures = figures(english, posixpath.dirname(english_path))
    chinese_figures = figures(chinese, posixpath.dirname(chinese_path))
    if english_path == "README.md":
        assert english_figures and commands(english), "README.md shows no figure or command: check the parser"
    missing_figures = [f for f in english_figures if f not in chinese_figures]
    chinese_commands = set(commands(chinese))
    missing_commands = [c for c in commands(english) if c not in chinese_commands]
    assert not missing_figures and not missing_commands, (
        f"{chinese_path} lacks what {english_path} shows; translate the sections they are in.\n"
        + "".join(f"  figure: {f}\n" for f in missing_figures)
        + "".join(f"  command: {c}\n" for c in missing_commands)
    )


@pytest.mark.parametrize(("english_path", "chinese_path"), PAIRS)
def test_every_table_of_the_english_text_has_a_chinese_counterpart(english_path, chinese_path):
    def table_sizes(text: str) -> list[int]:
        """Rows of each markdown table (a run of lines starting with '|'), in order."""
        sizes, run = [], 0
        for line in text.splitlines() + [""]:
            if line.startswith("|"):
                run += 1
            elif run:
                sizes.append(run)
                run = 0
        return sizes

    english, chinese = table_sizes(read(english_path)), table_sizes(read(chinese_path))
    assert chinese == english, f"table rows: {english_path} {english}, {chinese_path} {chinese}"
