"""mkdocs hook: the site's home pages are the READMEs; every page's figures come from examples/.

A page line `<!-- readme: SECTION -->` becomes that `## SECTION` of README.md (`<!-- readme: intro -->`
is the text before the first section, `all` the whole file; `<!-- readme-zh: ... -->` reads
README.zh-CN.md). The guide pages (docs/*.md, their Chinese versions in docs/zh/) hold their own
text, with links written relative to the page, so they also read right on GitHub: a link that
leaves docs/ for examples/figures/ points at figures/, which this hook adds to the site from
examples/figures/ itself (no copies in docs/); any other link out of docs/ points at GitHub. The
READMEs' links are relative to the repository root and get the same treatment, their links to
docs/ pages becoming links to those pages. A section name that README.md lacks fails the build,
naming the section and the headings it has.
"""

from __future__ import annotations

import posixpath
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


def _site_target(path: str, page_dir: str) -> str:
    """A repository path (relative to the root) as a link from a page in docs/`page_dir`."""
    if path.startswith("examples/figures/"):
        path = "docs/figures/" + path[len("examples/figures/") :]
    elif path in PAGES:
        path = "docs/" + PAGES[path]
    elif not path.startswith("docs/"):
        return f"{repository_url().rstrip('/')}/blob/main/{path}"
    return posixpath.relpath(path, posixpath.join("docs", page_dir) if page_dir else "docs")


def _relinker(base: str, page_dir: str):
    """Rewrites links relative to `base` (a folder of the repository) for a page in docs/`page_dir`."""

    def relink(match: re.Match) -> str:
        opening, target, closing = match.groups()
        if re.match(r"^[a-z]+:|^#", target):
            return match.group(0)  # URLs and anchors
        path, anchor = (target.split("#", 1) + [""])[:2]
        resolved = posixpath.normpath(posixpath.join(base, path))
        to_page = resolved.startswith("docs/") and not resolved.startswith("docs/figures/")
        if to_page and base.startswith("docs"):
            return match.group(0)  # a page's link to another page: mkdocs checks it
        new = _site_target(resolved, page_dir) + (f"#{anchor}" if anchor else "")
        return f"{opening}{new}{closing}"

    return relink


def _outside_fences(text: str, function) -> str:
    """Applies `function` to the text outside ``` fences."""
    parts = re.split(r"(^```.*?^```[^\n]*$)", text, flags=re.MULTILINE | re.DOTALL)
    return "".join(part if part.startswith("```") else function(part) for part in parts)


def on_page_markdown(markdown: str, page, config, files) -> str:
    page_dir = posixpath.dirname(page.file.src_uri)
    from_readme = _relinker("", page_dir)

    def include(match: re.Match) -> str:
        source = ROOT / SOURCES[match.group(1)]
        found = sections(source)
        name = match.group(2)
        if name == "all":  # the whole file under its title
            text = re.sub(r"\A# .+\n", "", source.read_text(encoding="utf-8"))
        elif name not in found:
            raise PluginError(
                f"{page.file.src_uri}: {source.name} has no section {name!r}; it has {sorted(found)}"
            )
        else:
            text = found[name]
        return _outside_fences(text, lambda part: LINK.sub(from_readme, part))

    own = _relinker(posixpath.join("docs", page_dir) if page_dir else "docs", page_dir)
    markdown = _outside_fences(markdown, lambda part: LINK.sub(own, part))
    return DIRECTIVE.sub(include, markdown)


def on_files(files, config):
    for figure in sorted(FIGURES.glob("*.png")):
        files.append(File.generated(config, f"figures/{figure.name}", abs_src_path=str(figure)))
    return files
