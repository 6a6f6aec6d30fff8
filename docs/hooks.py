"""mkdocs hook: the guide pages take their text from README.md and their figures from examples/.

A page line `<!-- readme: SECTION -->` becomes that `## SECTION` of README.md (`<!-- readme: intro -->`
is the text before the first section, `all` the whole file; `<!-- readme-zh: ... -->` reads
README.zh-CN.md). Image
links to examples/figures/ point at figures/, which this hook adds to the site from
examples/figures/ itself (no copies in docs/); other links into the repository point at GitHub.
A section name that README.md lacks fails the build, naming the section and the headings it has.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "examples" / "figures"
DIRECTIVE = re.compile(r"^<!-- (readme|readme-zh): (.+?) -->$", re.MULTILINE)
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")
SOURCES = {"readme": "README.md", "readme-zh": "README.zh-CN.md"}
PAGES = {"README.md": "index.md", "README.zh-CN.md": "zh.md"}  # the READMEs' links to each other


def sections(path: Path) -> dict[str, str]:
    """`## ` heading -> its text (headings shifted up one level); "intro" is the text before them."""
    found: dict[str, list[str]] = {"intro": []}
    current, fenced = "intro", False
    for line in path.read_text(encoding="utf-8").splitlines():
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("## "):
            current = line[3:].strip()
            found[current] = [f"# {current}"]
        elif not fenced and line.startswith("###"):
            found[current].append(line[1:])
        elif not (current == "intro" and line.startswith("# ")):
            found[current].append(line)
    return {name: "\n".join(lines) + "\n" for name, lines in found.items()}


def repository_url() -> str:
    """The repository's URL: pyproject.toml's [project.urls] Repository, its one home."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        urls = tomllib.load(file)["project"].get("urls", {})
    if "Repository" not in urls:
        raise PluginError("pyproject.toml's [project.urls] has no Repository")
    return urls["Repository"]


def on_config(config):
    config.repo_url = repository_url()
    return config


def _link(match: re.Match) -> str:
    opening, target, closing = match.groups()
    if target.startswith("examples/figures/"):
        return f"{opening}{target.replace('examples/figures/', 'figures/', 1)}{closing}"
    if target in PAGES:
        return f"{opening}{PAGES[target]}{closing}"
    if re.match(r"^[a-z]+:|^#", target):
        return match.group(0)  # URLs and anchors
    return f"{opening}{repository_url().rstrip('/')}/blob/main/{target}{closing}"


def on_page_markdown(markdown: str, page, config, files) -> str:
    def include(match: re.Match) -> str:
        source = ROOT / SOURCES[match.group(1)]
        found = sections(source)
        name = match.group(2)
        if name == "all":  # the whole file under its title
            text = source.read_text(encoding="utf-8")
            return LINK.sub(_link, re.sub(r"\A# .+\n", "", text))
        if name not in found:
            raise PluginError(
                f"{page.file.src_uri}: {source.name} has no section {name!r}; it has {sorted(found)}"
            )
        return LINK.sub(_link, found[name])

    return DIRECTIVE.sub(include, markdown)


def on_files(files, config):
    for figure in sorted(FIGURES.glob("*.png")):
        files.append(File.generated(config, f"figures/{figure.name}", abs_src_path=str(figure)))
    return files
