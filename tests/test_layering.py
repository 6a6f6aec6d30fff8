"""The package's folders are its architecture: each layer imports only the layers before it.

Order: _utils -> models -> data -> gradients -> training -> export -> experiments, bench ->
workflows -> cli. Imports inside functions count too, so a lazy import cannot hide a dependency
that goes the wrong way. The size limits keep every module, function and class one readable job.
"""

import ast
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
    "bench": 6,
    "inference": 6,
    "workflows": 7,
    "cli": 8,
    "__main__": 8,
    "__init__": 9,
}
SIBLINGS_APART = {
    (a, b)
    for a in ("experiments", "bench", "inference")
    for b in ("experiments", "bench", "inference")
    if a != b
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
            elif node.module and (node.module + ".").startswith("keras_resnet."):
                names = [node.module.split(".")[1]]
            elif node.module == "keras_resnet":
                names = [alias.name for alias in node.names]
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
