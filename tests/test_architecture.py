"""The layering of docs/architecture.rst, read from the source: which parts of
skinfluence each layer imports (module-level and deferred imports alike)."""

import ast
from pathlib import Path

import pytest

import skinfluence

ROOT = Path(skinfluence.__file__).parent
SHARED = {"exceptions", "_validation", "targets"}
ALLOWED = {  # layer: the parts of skinfluence it may import
    "models": {"exceptions"},
    "solvers": {"models", "parallel"} | SHARED,
    "influence": {"models", "solvers", "parallel"} | SHARED,
    "parallel": set(),
}


def _imported_parts(path, layer):
    """The top-level parts of skinfluence a module imports, other than its own."""
    package = path.relative_to(ROOT).parts[:-1]  # e.g. ("influence",)
    parts = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: climb from the module's package
                base = list(package[: len(package) - node.level + 1])
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.startswith("skinfluence"):
                target = node.module.split(".")[1:]
            else:
                continue
            if target:
                parts.add(target[0])
            else:  # "from .. import x": x is the part
                parts.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("skinfluence."):
                    parts.add(alias.name.split(".")[1])
    return parts - {layer}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(layer):
    paths = [ROOT / f"{layer}.py"] if (ROOT / f"{layer}.py").exists() else sorted(
        (ROOT / layer).glob("*.py"))
    assert paths, layer
    bad = {str(p.relative_to(ROOT)): sorted(_imported_parts(p, layer) - ALLOWED[layer])
           for p in paths}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"{layer} may import only {sorted(ALLOWED[layer])}: {bad}"
