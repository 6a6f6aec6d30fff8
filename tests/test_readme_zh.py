"""README.zh-CN.md is a full Chinese version of README.md: the two link to each other, and every
figure and every command the English README shows is in the Chinese one too.

A command is a line of a fenced code block that starts with `keras-resnet`, `pip`, `python` or
`bash`, compared without its trailing `# comment` (comments are translated). When the English README
gains a section, this test names exactly the figures and commands the Chinese one still lacks.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = ROOT / "README.md"
CHINESE = ROOT / "README.zh-CN.md"
COMMAND_STARTS = ("keras-resnet", "pip", "python", "bash")


def figures(text: str) -> list[str]:
    """The targets of the image links `![alt](target)`."""
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)


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


def test_the_readmes_link_to_each_other():
    assert "](README.zh-CN.md)" in ENGLISH.read_text(encoding="utf-8")
    assert "](README.md)" in CHINESE.read_text(encoding="utf-8")


def test_the_chinese_readme_is_chinese():
    text = CHINESE.read_text(encoding="utf-8")
    prose = re.sub(r"```.*?```|`[^`]*`|\([^)]*\)", "", text, flags=re.DOTALL)
    han = len(re.findall(r"[\u4e00-\u9fff]", prose))
    assert han > 3000, f"only {han} Chinese characters outside code: not a full translation"


def test_every_figure_and_command_of_the_english_readme_is_in_the_chinese_one():
    english, chinese = ENGLISH.read_text(encoding="utf-8"), CHINESE.read_text(encoding="utf-8")
    assert figures(english) and commands(english), "README.md shows no figure or command: check the parser"
    missing_figures = [f for f in figures(english) if f not in figures(chinese)]
    chinese_commands = set(commands(chinese))
    missing_commands = [c for c in commands(english) if c not in chinese_commands]
    assert not missing_figures and not missing_commands, (
        "README.zh-CN.md lacks what README.md shows; translate the sections they are in.\n"
        + "".join(f"  figure: {f}\n" for f in missing_figures)
        + "".join(f"  command: {c}\n" for c in missing_commands)
    )


def test_every_table_of_the_english_readme_has_a_chinese_counterpart():
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

    english = table_sizes(ENGLISH.read_text(encoding="utf-8"))
    chinese = table_sizes(CHINESE.read_text(encoding="utf-8"))
    assert len(chinese) == len(english), f"tables: README.md {english} rows, README.zh-CN.md {chinese}"
