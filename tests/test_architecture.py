"""The architecture's rules, checked so they stay true: the import contracts
(areas independent, layers inside an area, the core knowing no area, backends
and job code apart from the server, the client and the magics light), no
import circle anywhere (imports inside functions count), and an OpenAPI
document that only changes on purpose."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPENAPI_COPY = Path(__file__).resolve().parent / "data" / "openapi.json"


def test_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout, result.stdout


def import_cycles(package: str = "jupyter_easymaker") -> list[list[str]]:
    """Strongly connected groups of modules in the import graph (every import
    statement, also those inside functions), largest first."""
    import grimp

    graph = grimp.build_graph(package, cache_dir=None)
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    edges = {m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i in graph.modules and i.startswith(package))
             for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in modules:  # Tarjan's algorithm, iteratively (no recursion limit to hit)
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups, key=len, reverse=True)


def test_no_import_cycles():
    cycles = import_cycles()
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_cycle_check_sees_imports_inside_functions(tmp_path, monkeypatch):
    """The check is not blind to the usual way of hiding a cycle."""
    pkg = tmp_path / "hidden_cycle"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from hidden_cycle import b\n")
    (pkg / "b.py").write_text("def later():\n    from hidden_cycle import a\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("hidden_cycle") == [["hidden_cycle.a", "hidden_cycle.b"]]


def test_openapi_document_changes_only_on_purpose():
    """The OpenAPI document equals the committed copy (keys in any order). After a
    deliberate API change, refresh the copy: python -c 'import json;
    from jupyter_easymaker.api import openapi_document;
    print(json.dumps(openapi_document("/"), indent=1, sort_keys=True))' > tests/data/openapi.json"""
    from jupyter_easymaker.api import openapi_document

    current = json.loads(json.dumps(openapi_document("/"), sort_keys=True))
    committed = json.loads(OPENAPI_COPY.read_text())
    assert current == committed
