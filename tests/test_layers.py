"""The layers of docs/architecture.md, kept by a test.

Every module of src/casework belongs to one layer (first matching pattern
below); a module imports only from its own layer or the layers beneath it,
and the import graph (counting imports inside functions, which is how a
circle used to be hidden) has no cycle. A new module that matches no
pattern fails here until it is placed.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Top to bottom. Patterns are fnmatch on the dotted module name.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("entry", ("casework.app", "casework.cli", "casework.bootstrap", "casework.serving", "casework.demo*",
               "casework.documents.make_templates")),
    ("http", ("casework.admin", "casework.routes", "casework.records.read_routes", "*.controller", "*_controller", "casework.health", "casework.pages", "casework.dashboard*", "casework.middleware",
              "casework.errors", "casework.openapi_doc", "casework.openapi_shapes", "casework.access.auth",
              "casework.access.matrix", "casework.proceedings.docs")),
    ("use cases", ("casework.cases.read", "casework.cases.intake", "casework.cases.validation",
                   "casework.cases.repeats", "casework.records.*", "casework.public.*", "casework.open311.*", "casework.sms.*", "casework.backlog.*",
                   "casework.sync.*", "casework.audit.*", "casework.personal.service", "casework.integrations.*",
                   "casework.webhooks.*", "casework.proceedings.queue", "casework.deadlines.sweep",
                   "casework.access.users", "casework.access.login", "casework.supervision.*",
                   "casework.reference.seed", "casework.personal.rotation", "casework.documents.attachments",
                   "casework.documents.download", "casework.documents.sweep", "casework.documents.templates",
                   "casework.documents.generate", "casework.notices.unserved", "casework.notices.delivery")),
    ("domain", ("casework.proceedings.service", "casework.proceedings.act", "casework.proceedings.handlers",
                "casework.proceedings.steps", "casework.proceedings.acceptance", "casework.proceedings.handling",
                "casework.proceedings.moving_on", "casework.proceedings.correction", "casework.proceedings.lapses",
                "casework.notices.service", "casework.deadlines.*", "casework.routing.*", "casework.reference.*",
                "casework.cases.core", "casework.cases.events", "casework.cases.identity", "casework.access.*",
                "casework.admin_log", "casework.documents.numbering")),
    ("shapes and registry", ("*.schemas", "casework.proceedings.tracks", "casework.proceedings.transitions",
                             "casework.deadlines.calendar", "casework.backlog.labels", "casework.admin.tables",
                             "casework.access.policy", "casework.routing.rules", "casework.piccolo_app",
                             "casework.documents.filetypes", "casework.documents.kinds")),
    ("base", ("casework.db", "casework.timeutil", "casework.settings", "casework.problems", "casework.paging",
              "casework.cache", "casework.logging", "casework.personal.crypto", "casework.personal.outbound",
              "casework.piccolo_conf", "casework.piccolo_engine", "casework.embedded", "casework.documents.storage", "casework.periodic", "casework.metrics",
              "casework.telemetry", "casework.reads")),
]
# Where a general pattern above would place a module too high, a specific
# placement wins.
SPECIFIC = {
    "casework.records.schemas": "shapes and registry", "casework.public.schemas": "shapes and registry",
    "casework.open311.schemas": "shapes and registry",
    "casework.webhooks.schemas": "shapes and registry", "casework.backlog.labels": "shapes and registry",
    "casework.deadlines.calendar": "shapes and registry", "casework.routing.rules": "shapes and registry",
    "casework.access.policy": "shapes and registry", "casework.routing.schemas": "shapes and registry",
    "casework.access.schemas": "shapes and registry", "casework.reference.schemas": "shapes and registry",
    "casework.supervision.schemas": "shapes and registry", "casework.audit.schemas": "shapes and registry",
    "casework.sync.schemas": "shapes and registry", "casework.deadlines.schemas": "shapes and registry",
    "casework.records.legal_aid_schemas": "shapes and registry",
}
ORDER = [name for name, _ in LAYERS]


@functools.cache
def packages() -> frozenset[str]:
    """Package __init__ modules that hold no code (a docstring): the base layer."""
    found = set()
    for path in (SRC / "casework").rglob("__init__.py"):
        tree = ast.parse(path.read_text())
        if all(isinstance(n, ast.Expr) for n in tree.body):
            found.add(".".join(path.parent.relative_to(SRC).parts))
    return frozenset(found)


def modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "casework").rglob("*.py"):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def layer_of(module: str) -> str | None:
    if module in packages():
        return "base"
    if module in SPECIFIC:
        return SPECIFIC[module]
    if module.endswith(".schemas"):
        return "shapes and registry"
    for name, patterns in LAYERS:
        if any(fnmatch.fnmatchcase(module, p) for p in patterns):
            return name
    return None


def imports(found: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in found}
    for module, path in found.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                graph[module].update(a.name for a in node.names if a.name in found)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    if target in found:
                        graph[module].add(target)
                    elif base in found:
                        graph[module].add(base)
    for module, imported in graph.items():
        imported.discard(module)
    return graph


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in modules() if layer_of(m) is None)
    assert not unplaced, f"place these in tests/test_layers.py LAYERS: {unplaced}"


def test_no_module_imports_from_a_layer_above_its_own():
    found = modules()
    wrong = []
    for module, targets in imports(found).items():
        mine = layer_of(module)
        for target in sorted(targets):
            theirs = layer_of(target)
            if mine and theirs and ORDER.index(theirs) < ORDER.index(mine):
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert not wrong, "\n".join(wrong)


def test_the_import_graph_has_no_cycle():
    graph = imports(modules())
    state: dict[str, int] = {}
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_no_controller_imports_another_controller():
    graph = imports(modules())
    wrong = [f"{m} imports {t}" for m, ts in graph.items() for t in ts
             if layer_of(m) == "http" and t.endswith("controller") and m != t]
    assert not wrong, "\n".join(wrong)
