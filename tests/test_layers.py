"""The house's floors: every folder imports only from floors below it, and no module imports
itself round a loop (imports inside functions count: a lazy import hides a cycle, it does not
remove one). `python -m tests.test_layers` prints the folder graph as a table."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bottom to top; folders on one floor do not import each other
FLOORS = {"core": 0, "prompts": 0, "state": 1, "tools": 2, "director": 3, "playout": 4,
          "evals": 4, "app": 5}
ANYWHERE = ("tests", "bench")  # they may import any floor, but by the namespace


def modules() -> dict[str, Path]:
    """webtv.<folder>.<module> -> its file, for every installed folder."""
    found = {}
    for folder in FLOORS:
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


def folder_table(edges: dict[str, set[str]]) -> str:
    imports: dict[str, set[str]] = {f: set() for f in FLOORS}
    for module, targets in edges.items():
        imports[folder(module)] |= {folder(t) for t in targets} - {folder(module)}
    order = sorted(FLOORS, key=lambda f: (FLOORS[f], f))
    rows = [f"| `{f}/` ({FLOORS[f]}) | {', '.join(sorted(imports[f], key=order.index)) or '-'} |"
            for f in order]
    return "\n".join(["| folder (floor) | imports from |", "|---|---|", *rows])


def test_no_module_imports_itself_round_a_loop():
    assert cycles(graph()) == []


def test_every_folder_imports_only_from_floors_below():
    upward = [f"{module} -> {target}" for module, targets in graph().items() for target in targets
              if folder(target) != folder(module)
              and FLOORS[folder(target)] >= FLOORS[folder(module)]]
    assert upward == []


def test_the_project_is_imported_by_its_namespace_only():
    """A bare `import tools` would load a second copy of a module (and its registry) beside
    webtv.tools, or nothing at all once installed: package code, tests and benchmarks all
    import webtv.*, and the package itself never imports relatively."""
    bare = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        top = path.relative_to(ROOT).parts[0]
        if top not in FLOORS and top not in ANYWHERE:
            continue
        for line, name in imported(path):
            head = name.lstrip(".").split(".")[0]
            if name.startswith(".") or head in FLOORS:
                bare.append(f"{path.relative_to(ROOT)}:{line} {name}")
    assert bare == []


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


def test_a_module_over_300_lines_says_why_in_its_docstring():
    """Small modules read in one sitting; a longer one explains what keeps it whole."""
    unexplained = []
    for module, path in modules().items():
        lines = path.read_text(encoding="utf-8").count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if lines > 300 and "one module" not in doc.lower():
            unexplained.append(f"{module} ({lines} lines)")
    assert unexplained == []


if __name__ == "__main__":
    edges = graph()
    print(folder_table(edges))
    print("cycles:", cycles(edges) or "none")
