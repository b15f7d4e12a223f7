"""The dependency rule between the folders of ``providers/``, read from the imports.

Every import counts, also those inside functions (the CLI imports lazily):

- ``core`` (pure policy and data) imports nothing of ours outside core;
- ``progress.py`` imports nothing of ours;
- the octoDNS plugins (``providers/*.py``) import only core, each other and live DNS (the
  manual provider reads zones through DNS);
- ``live`` (live DNS) imports core, live and progress: never the planner or the CLI;
- ``planner`` imports core, the plugins, progress and itself: never live DNS or the CLI;
- ``ci`` imports core and ``planner.render`` only;
- ``cli`` and ``plan.py`` may import everything; nothing else imports ``cli``.

And no module imports a private (``_name``) helper of another module of ours.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGE = ROOT / "providers"
LAYERS = ("core", "live", "planner", "cli", "ci")
ALLOWED: dict[str, set[str]] = {
    "core": {"core"},
    "progress": set(),
    "plugin": {"core", "plugin", "live"},
    "live": {"core", "live", "progress"},
    "planner": {"core", "planner", "plugin", "progress"},
    "ci": {"core", "ci", "providers.planner.render"},
    "cli": {"core", "live", "planner", "plugin", "progress", "ci", "cli"},
}


def layer(module: str) -> str:
    """core, live, planner, cli, ci, progress or plugin (``providers.<name>``)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "package"
    if parts[1] in LAYERS:
        return parts[1]
    return "progress" if parts[1] == "progress" else "plugin"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import of ``providers`` in the file, at any depth."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "providers":
                    found.append((node.lineno, alias.name, []))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "providers":
                continue
            names = [a.name for a in node.names]
            if target == "providers":  # from .. import zonefile: the names are modules
                found += [(node.lineno, f"providers.{n}", []) for n in names]
            else:
                found.append((node.lineno, target, names))
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_folder_is_known():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(LAYERS), "a new folder needs its place in the rule above"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_dependency_rule(path: Path):
    me = layer(module_name(path))
    if me == "package":
        return
    allowed = ALLOWED[me]
    wrong = []
    for line, target, _names in our_imports(path):
        if layer(target) in allowed or target in allowed or layer(target) == "package":
            continue
        wrong.append(f"{path.relative_to(ROOT)}:{line} ({me}) imports {target}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", [*SOURCES, ROOT / "plan.py"], ids=lambda p: p.name)
def test_no_private_helper_crosses_a_module(path: Path):
    own = module_name(path)
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name} from {target}"
        for line, target, names in our_imports(path)
        for name in names
        if name.startswith("_") and target != own
    ]
    assert not wrong, "\n".join(wrong)


def test_plan_py_is_only_the_entry_point():
    """plan.py sets up sys.path and hands over to providers.cli: no commands of its own."""
    tree = ast.parse((ROOT / "plan.py").read_text())
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert functions == ["main"]
    assert [t for _line, t, _n in our_imports(ROOT / "plan.py")] == ["providers.cli"]


def test_the_rule_sees_function_level_imports():
    """The parser counts an import inside a function body (how the CLI imports lazily)."""
    source = PACKAGE / "cli" / "plan.py"
    targets = {t for _line, t, _n in our_imports(source)}
    assert "providers.planner.engine" in targets
