"""The package's folders are its architecture: each layer imports only the layers before it.

Order: _utils -> models -> data -> gradients -> training -> export -> experiments, inference ->
workflows -> cli; the benchmarks live outside the package, in benchmarks/. Imports inside
functions count too, so a lazy import cannot hide a dependency that goes the wrong way. No two
modules import each other, directly or round a longer circle, and no module inside the package
imports the package root (`import keras_resnet`), which would load every public name's home. The
checkers are tested on planted sources too, so a checker that sees nothing cannot pass. The size
limits keep every module, function and class one readable job.
"""

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "keras_resnet"
LAYERS = {
    "_utils": 0,
    "_version": 0,
    "errors": 0,
    "models": 1,
    "data": 2,
    "gradients": 3,
    "training": 4,
    "export": 5,
    "experiments": 6,
    "inference": 6,
    "workflows": 7,
    "cli": 8,
    "__main__": 8,
    "__init__": 9,
}
SIBLINGS_APART = {
    (a, b) for a in ("experiments", "inference") for b in ("experiments", "inference") if a != b
}
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_CLASS_LINES = 400, 80, 200


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    return relative.parts[0]


def _imported_parts(tree: ast.AST, path: Path):
    """(line, top-level part of keras_resnet) for every import of the package in `tree`."""
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports resolve inside the file's own folder
                names = [".".join(path.relative_to(PACKAGE).parts[:1])]
            elif node.module == "keras_resnet":
                names = [alias.name for alias in node.names]
            elif node.module and node.module.startswith("keras_resnet."):
                names = [node.module.split(".")[1]]
        elif isinstance(node, ast.Import):
            names = [
                alias.name.split(".")[1] for alias in node.names if alias.name.startswith("keras_resnet.")
            ]
        for name in names:
            yield node.lineno, name


def test_every_module_belongs_to_a_known_layer():
    unknown = sorted({_part(p) for p in _modules()} - set(LAYERS))
    assert not unknown, f"add these to the layer order: {unknown}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_import_only_layers_below_them(path):
    own = _part(path)
    tree = ast.parse(path.read_text())
    wrong = [
        f"line {line}: {own} imports {part}"
        for line, part in _imported_parts(tree, path)
        if part in LAYERS and part != own and (LAYERS[part] > LAYERS[own] or (own, part) in SIBLINGS_APART)
    ]
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_training_imports_neither_export_nor_plots():
    for path in (PACKAGE / "training").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("keras_resnet.export", "keras_resnet.experiments")), path
                assert "matplotlib" not in node.module, path


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_functions_and_classes_stay_small(path):
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path.name} has {len(text.splitlines())} lines"
    too_long = []
    for node in ast.walk(ast.parse(text)):
        limit = (
            MAX_FUNCTION_LINES
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            else MAX_CLASS_LINES
            if isinstance(node, ast.ClassDef)
            else None
        )
        if limit is not None and node.end_lineno - node.lineno + 1 > limit:
            too_long.append(f"{node.name}: {node.end_lineno - node.lineno + 1} lines (limit {limit})")
    assert not too_long, f"{path.name}: " + "; ".join(too_long)


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """module -> the package modules it imports (anywhere in it), for `sources` (module -> text).

    `from a.b import c` points at `a.b.c` when that is a module of `sources`, else at `a.b`;
    relative imports are resolved against the importing module's package."""
    graph: dict[str, set[str]] = {}
    for module, text in sources.items():
        is_package = any(other.startswith(module + ".") for other in sources)
        package = module if is_package else module.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in sources else base)
        graph[module] = {target for target in targets if target in sources and target != module}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports (Tarjan's strongly connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def root_imports(sources: dict[str, str], root: str = "keras_resnet") -> list[str]:
    """ "module line N" for every `import keras_resnet` / `from keras_resnet import x` outside the
    root's own `__init__` (importing a submodule, `keras_resnet.models`, is fine)."""
    found = []
    for module, text in sources.items():
        if module == root:
            continue
        for node in ast.walk(ast.parse(text)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if root in names or (isinstance(node, ast.ImportFrom) and node.module == root and not node.level):
                found.append(f"{module} line {node.lineno}")
    return found


def _package_sources(package: Path = PACKAGE) -> dict[str, str]:
    """module name -> source text for every module under `package`."""
    return {
        ".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(
            ".__init__"
        ): path.read_text()
        for path in sorted(package.rglob("*.py"))
    }


def test_no_two_modules_import_each_other_even_round_a_longer_circle():
    cycles = import_cycles(import_graph(_package_sources()))
    assert not cycles, "import circles: " + "; ".join(" <-> ".join(cycle) for cycle in cycles)


def test_no_module_inside_the_package_imports_the_package_root():
    found = root_imports(_package_sources())
    assert not found, "import keras_resnet from inside the package: " + ", ".join(found)


def test_the_cycle_checker_finds_a_planted_circle_in_one_layer_and_through_a_lazy_import():
    sources = {
        "keras_resnet.data.sources": "def load():\n    from keras_resnet.data.folders import load_folder\n",
        "keras_resnet.data.folders": "from keras_resnet.data.sources import Source\n",
        "keras_resnet.data.splits": "import dataclasses\n",
    }
    assert import_cycles(import_graph(sources)) == [
        ["keras_resnet.data.folders", "keras_resnet.data.sources"]
    ]
    sources["keras_resnet.data.folders"] = "from keras_resnet.data.splits import Source\n"
    assert import_cycles(import_graph(sources)) == []


def test_the_cycle_checker_finds_a_three_module_circle_written_with_relative_imports():
    sources = {
        "keras_resnet.models.a": "from . import b\n",
        "keras_resnet.models.b": "from .c import thing\n",
        "keras_resnet.models.c": "from keras_resnet.models import a\n",
    }
    assert import_cycles(import_graph(sources)) == [
        ["keras_resnet.models.a", "keras_resnet.models.b", "keras_resnet.models.c"]
    ]


@pytest.mark.parametrize(
    "line", ["import keras_resnet", "import keras_resnet as kr", "from keras_resnet import build"]
)
def test_the_root_import_checker_finds_a_planted_package_root_import(line):
    sources = {
        "keras_resnet": "from keras_resnet.models.named import build\n",
        "keras_resnet.experiments.x": f"def f():\n    {line}\n",
        "keras_resnet.experiments.y": "import keras_resnet.models.named\n",
        "keras_resnet.experiments.z": "from keras_resnet.data.sources import Source\n",
    }
    assert root_imports(sources) == ["keras_resnet.experiments.x line 2"]


def test_the_checkers_fail_on_a_planted_circle_and_root_import_in_a_copy_of_the_package(tmp_path):
    """The real files, copied, with one lazy import each way planted: both checks must notice."""
    copy = tmp_path / "keras_resnet"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "data" / "splits.py").open("a") as file:
        file.write(
            "\n\ndef _planted():\n    import keras_resnet\n    from keras_resnet.data import sources\n"
        )
    sources = _package_sources(copy)
    cycles = import_cycles(import_graph(sources))
    assert any({"keras_resnet.data.sources", "keras_resnet.data.splits"} <= set(cycle) for cycle in cycles)
    assert any(entry.startswith("keras_resnet.data.splits line") for entry in root_imports(sources))
