"""The house's rooms: which package may import which (a table, not floors: the playout may not
import the director though the director sits lower), no module importing itself round a loop
(imports inside functions count: a lazy import hides a cycle, it does not remove one), and
importing a leaf loads nothing it does not need. `python -m tests.test_layers` prints the
package graph as a table."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOW = {"core", "prompts"}  # errors, the clock, settings, the media layer; words
# package -> the packages it may import (besides itself). Data flows one way: theme -> bible ->
# shots -> takes -> checks -> schedule -> air; each package owns one step.
MAY_IMPORT = {
    "core": set(),
    "prompts": set(),
    "state": {"core"},  # the only code that touches SQLite
    "reading": LOW,  # a theme or a note read into parts
    "inspection": LOW | {"reading"},  # measured checks on a take
    "production": LOW | {"state", "reading", "inspection"},  # making takes, the backends
    "tools": LOW | {"state", "reading", "production"},  # what the model calls
    "director": LOW | {"state", "reading", "inspection", "production", "tools"},  # a request
    # in, tool calls out
    "playout": {"core", "state"},  # the transmitter airs what the store schedules
    # a channel built from its settings and run: the loop that asks the director, the
    # playouts, heartbeat, retention, budget, status and health, the terminals
    "channel": LOW | {"state", "reading", "inspection", "production", "tools", "director",
                      "playout"},
    "evals": LOW | {"state", "reading", "production", "tools", "director"},
    "app": LOW | {"state", "reading", "production", "tools", "director", "channel", "playout",
                  "evals"},
}
FOLDERS = list(MAY_IMPORT)  # each package is the folder of its name (pyproject's package-dir)
ANYWHERE = ("tests", "bench")  # they may import any package, but by the namespace
# Modules over 300 lines, and what keeps each whole; a new one fails until it is split or
# listed here with its reason.
LONG = {
    "webtv.state.migrations": "append-only: a migration that shipped is never edited or moved",
    "webtv.director.offline": "one planner: reading the request, choosing the calls and "
                              "phrasing the answer refer to each other",
    "webtv.production.backends.local_video": "one renderer: the scene, the character and the "
                                             "faults it injects are drawn by one loop",
}


def modules() -> dict[str, Path]:
    """webtv.<package>.<module> -> its file, for every installed package."""
    found = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            parts = ["webtv", *path.relative_to(ROOT).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every absolute import in a file, at any depth."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from webtv.tools import bible` imports the module webtv.tools.bible
            names += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            names.append((node.lineno, "." * node.level + (node.module or "")))
    return names


def resolve(name: str, known: dict[str, Path]) -> str | None:
    """The project module a dotted name lands in (the longest known prefix), or None."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in known.items():
        for _, name in imported(path):
            target = resolve(name, known)
            if target and target != module and target != "webtv":
                edges[module].add(target)
    return edges


def folder(module: str) -> str:
    return module.split(".")[1]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def package_table(edges: dict[str, set[str]]) -> str:
    imports: dict[str, set[str]] = {f: set() for f in FOLDERS}
    for module, targets in edges.items():
        imports[folder(module)] |= {folder(t) for t in targets} - {folder(module)}
    rows = [f"| `{f}` | {', '.join(sorted(imports[f], key=FOLDERS.index)) or '-'} |"
            for f in FOLDERS]
    return "\n".join(["| package | imports from |", "|---|---|", *rows])


def test_the_graph_holds_every_package():
    """A test over an empty graph passes anything: every package has modules, and imports."""
    known, edges = modules(), graph()
    assert {folder(m) for m in known} == set(FOLDERS)
    assert {folder(m) for m in edges} >= set(FOLDERS) - {"core", "prompts"}
    assert sum(len(t) for t in edges.values()) > 200


def test_no_module_imports_itself_round_a_loop():
    assert cycles(graph()) == []


def test_every_package_imports_only_what_the_table_allows():
    refused = [f"{module} -> {target}" for module, targets in graph().items()
               for target in targets if folder(target) != folder(module)
               and folder(target) not in MAY_IMPORT[folder(module)]]
    assert refused == []


def top_level(path: Path) -> list[str]:
    """The project modules a file imports when it is imported (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def needs(module: str, known: dict[str, Path]) -> set[str]:
    """What importing ``module`` must load: its packages, and what it imports at the top,
    transitively."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        parts = current.split(".")
        todo += [".".join(parts[:i]) for i in range(2, len(parts)) if ".".join(parts[:i]) in known]
        todo += [t for t in (resolve(n, known) for n in top_level(known[current]))
                 if t and t != "webtv"]
    return seen


def test_a_package_init_imports_nothing_of_the_project():
    """Importing a package runs its ``__init__``: one that imports would load it for every
    module under it (``webtv.reading.words`` loading SQLite through a package's registry)."""
    loaded = {m: [n for n in top_level(p) if n.startswith("webtv.")]
              for m, p in modules().items() if p.name == "__init__.py"}
    assert {m: names for m, names in loaded.items() if names} == {}


LEAVES = ["webtv.core.clock", "webtv.reading.words", "webtv.reading.colours",
          "webtv.inspection.checks", "webtv.tools.schemas", "webtv.production.backends.space",
          "webtv.production.compose", "webtv.director.llm", "webtv.playout.transmitter"]


def test_importing_a_leaf_loads_nothing_it_does_not_need():
    """Each leaf in a fresh interpreter: the project modules loaded are the ones it needs, and
    SQLite only where it needs the store."""
    known = modules()
    code = ("import importlib, json, sys; importlib.import_module(sys.argv[1]); "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('webtv.') or "
            "m == 'sqlite3')))")
    for leaf in LEAVES:
        out = subprocess.run([sys.executable, "-c", code, leaf], capture_output=True, text=True,
                             check=True).stdout
        loaded = set(json.loads(out))
        need = needs(leaf, known)
        extra = {m for m in loaded - need if m in known}
        assert extra == set(), f"importing {leaf} loads {sorted(extra)}"
        if not any(folder(m) == "state" for m in need):
            assert "sqlite3" not in loaded, f"importing {leaf} loads SQLite"


SQL = re.compile(r"^\s*(select\s.*\sfrom\s|insert\s+into\s|update\s+\w+\s+set\s|delete\s+from\s"
                 r"|(create|alter|drop)\s+(table|index)\s)", re.I | re.S)


def test_sql_and_the_database_only_in_state():
    """Other folders call the store's typed methods: no SQL text, no sqlite module, no reaching
    into ``store.db``."""
    found = []
    for module, path in modules().items():
        if folder(module) == "state":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and SQL.match(node.value):
                found.append(f"{module}:{node.lineno} SQL {node.value[:40]!r}")
            elif isinstance(node, ast.Attribute) and node.attr == "db":
                found.append(f"{module}:{node.lineno} .db")
        found += [f"{module}:{line} imports {name}" for line, name in imported(path)
                  if name.split(".")[0] in ("sqlite3", "sqlite_utils")]
    assert found == []


SETTINGS = "webtv.core.settings"


def test_only_the_settings_read_the_environment_and_webtv_toml():
    """``Settings.from_env`` reads the environment and ``Settings.config`` webtv.toml, once;
    everything else is handed what it needs (os.environ, os.getenv, load_config)."""
    found = []
    for module, path in modules().items():
        if module == SETTINGS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "os" and node.attr in ("environ", "getenv"):
                found.append(f"{module}:{node.lineno} os.{node.attr}")
            elif isinstance(node, ast.Name) and node.id in ("load_config", "environ", "getenv"):
                found.append(f"{module}:{node.lineno} {node.id}")
    assert found == []


def test_a_module_over_300_lines_is_listed_with_its_reason():
    """Small modules read in one sitting; a longer one is listed in LONG with what keeps it
    whole (a docstring's wording is not a licence)."""
    long = {module for module, path in modules().items()
            if path.read_text(encoding="utf-8").count("\n") > 300}
    assert long - set(LONG) == set()


LONGEST_FUNCTION = 60  # lines; a longer one has seams to split along


def test_no_function_is_longer_than_a_screen():
    long = []
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > LONGEST_FUNCTION:
                    long.append(f"{module}.{node.name} ({lines} lines)")
    assert long == []


if __name__ == "__main__":
    edges = graph()
    print(package_table(edges))
    print("cycles:", cycles(edges) or "none")
