"""The Kubernetes API rights the product uses, read from its own code.

Every call the code makes goes through a method of the official client
(``create_namespaced_job``, ``read_namespaced_pod_log``, ...), named either as
the called function or as the function handed to ``call_json`` /
``KubernetesApi.call`` (raw-JSON calls). This module finds those names in the
package's source (``ast``, nothing is imported or run), reads each method's
HTTP method and path from the client itself, and turns them into RBAC terms:
``(apiGroup, resource[/subresource], verb)``. For the custom-objects calls the
group and plural are the call's arguments, resolved from literals and module
constants; where a class forwards them (``CustomResourceCheck(api, ns, group,
version, plural, kind)``) they are taken from each construction of that class.

Two identities call the API: the server (everything outside ``runtime/``) and
a pipeline run's executor pod (``runtime/pipelines/``, as the pipeline-runner
service account); other job pods have no credentials, so an API call anywhere
else under ``runtime/`` is an error here. The Helm chart's Roles are generated from this
(``python -m jupyter_easymaker.backend.kubernetes.rbac --write DIR``) and a
test fails when they and the code disagree in either direction.
"""
from __future__ import annotations

import ast
import functools
import inspect
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client as k8s_client

PACKAGE = "jupyter_easymaker"
SERVER = "server"
PIPELINE_RUNNER = "pipeline-runner"
RUNTIME_DIR = "runtime"  # code that runs inside job pods, which get no API credentials...
POD_IDENTITIES = {"runtime.pipelines": PIPELINE_RUNNER}  # ...but a pipeline run's executor
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}
# calls that watch the list method handed to them: kubernetes.watch.Watch().stream(fn, ...) and the
# backends' caches, Informer(api, fn, ...) (backend/kubernetes/informers.py)
WATCHING_CALLS = frozenset({"stream", "Informer"})


class RbacDerivationError(Exception):
    """A Kubernetes call whose rights cannot be read from the code (say, a custom
    object's group built at run time); the message names where it is."""


@dataclass(frozen=True)
class Endpoint:
    """What one client method calls: its HTTP method and path template."""

    method: str
    path: str
    params: tuple[str, ...]  # its positional parameters, in order

    def right(self, group: str | None = None, plural: str | None = None, *, watch: bool = False) -> tuple[str, str, str, bool]:
        """(apiGroup, resource[/subresource], verb, namespaced), with a custom object's group and plural."""
        path = self.path.replace("{group}", group or "{group}").replace("{plural}", plural or "{plural}")
        return request_right(self.method, path, watch=watch)


def request_right(method: str, path: str, *, watch: bool = False) -> tuple[str, str, str, bool]:
    """The RBAC terms of one request (a path template or a real path): (apiGroup,
    resource[/subresource], verb, namespaced)."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if parts[0] == "api":  # the core group: /api/v1/...
        api_group, rest = "", parts[2:]
    else:  # /apis/{group}/{version}/...
        api_group, rest = parts[1], parts[3:]
    namespaced = len(rest) >= 3 and rest[0] == "namespaces"
    if namespaced:
        rest = rest[2:]
    resource = rest[0] if rest else ""
    named = len(rest) >= 2
    if len(rest) >= 3:
        resource = f"{resource}/{rest[2]}"
    if method.upper() == "GET":
        verb = "get" if named else "watch" if watch else "list"
    elif method.upper() == "DELETE":
        verb = "delete" if named else "deletecollection"
    else:
        verb = _VERBS[method.upper()]
    return api_group, resource, verb, namespaced


@dataclass(frozen=True)
class ApiCall:
    """One place in the code that calls the API, and the right it needs."""

    identity: str
    module: str
    line: int
    function: str  # the client method
    api_group: str
    resource: str
    verb: str
    namespaced: bool = True

    @property
    def right(self) -> tuple[str, str, str]:
        return self.api_group, self.resource, self.verb

    @property
    def where(self) -> str:
        return f"{self.module}:{self.line}"


# -- the client's methods ------------------------------------------------------------
_SERIALIZER = re.compile(r"def _(\w+)_serialize\(")
_REQUEST = re.compile(r"method='(\w+)',\s*resource_path='([^']+)'")


@functools.cache
def endpoints(api_class: str) -> dict[str, tuple[str, str]]:
    """Method -> (HTTP method, path) of an API class, as the client builds its requests."""
    source = Path(inspect.getsourcefile(getattr(k8s_client, api_class))).read_text(encoding="utf-8")
    out = {}
    for found in _SERIALIZER.finditer(source):
        request = _REQUEST.search(source, found.end())
        if request:
            out[found.group(1)] = (request.group(1), request.group(2))
    return out


def endpoint(api_class: str, method: str) -> Endpoint | None:
    """The HTTP method, path and positional parameters of ``api_class.method``."""
    found = endpoints(api_class).get(method)
    if found is None:
        return None
    params = tuple(p for p in inspect.signature(getattr(getattr(k8s_client, api_class), method)).parameters if p != "self")
    return Endpoint(found[0], found[1], params)


def _methods(api_classes: frozenset[str]) -> dict[str, list[str]]:
    """Method name -> the API classes (of those the code makes) that have it."""
    out: dict[str, list[str]] = {}
    for cls_name in sorted(api_classes):
        for name in endpoints(cls_name):
            out.setdefault(name, []).append(cls_name)
    return out


# -- reading the code ----------------------------------------------------------------
@dataclass
class _Module:
    name: str
    tree: ast.Module
    constants: dict[str, str] = field(default_factory=dict)  # NAME = "literal"
    imported: dict[str, str] = field(default_factory=dict)  # local name -> "module" or "module:NAME"
    _parents: dict[ast.AST, ast.AST] | None = None

    @property
    def parents(self) -> dict[ast.AST, ast.AST]:
        """Each node's parent (made when first asked: most modules never are)."""
        if self._parents is None:
            self._parents = {child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}
        return self._parents


def _read_modules(root: Path, package: str) -> dict[str, _Module]:
    modules: dict[str, _Module] = {}
    for path in sorted((root / package).rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        mod = _Module(name, tree)
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        mod.constants[target.id] = node.value.value
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    mod.imported[alias.asname or alias.name] = f"{node.module}:{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        mod.imported[alias.asname] = alias.name
        modules[name] = mod
    return modules


def _resolve(expr: ast.AST, mod: _Module, modules: dict[str, _Module], depth: int = 0) -> str | None:
    """The string a literal or a module constant (``NAME``, ``alias.NAME``) stands for."""
    if depth > 5:
        return None
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Name):
        if expr.id in mod.constants:
            return mod.constants[expr.id]
        target = mod.imported.get(expr.id, "")
        if ":" in target:
            module, _, name = target.partition(":")
            if f"{module}.{name}" in modules:
                return None  # a module, not a constant
            if module in modules:
                return _resolve(ast.Name(name), modules[module], modules, depth + 1)
        return None
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        target = mod.imported.get(expr.value.id, "")
        module = target.replace(":", ".") if ":" in target else target
        if module in modules:
            return _resolve(ast.Name(expr.attr), modules[module], modules, depth + 1)
    return None


def _api_classes(modules: Iterable[_Module]) -> frozenset[str]:
    """The official client's API classes the code constructs (``client.BatchV1Api(...)``)."""
    found = set()
    for mod in modules:
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name.endswith("Api") and inspect.isclass(getattr(k8s_client, name, None)) and name != "ApiClient":
                    found.add(name)
    return frozenset(found)


def _enclosing(node: ast.AST, mod: _Module, kind: type) -> ast.AST | None:
    while node in mod.parents:
        node = mod.parents[node]
        if isinstance(node, kind):
            return node
    return None


def _call_arguments(ref: ast.Attribute, mod: _Module) -> tuple[list[ast.expr], dict[str, ast.expr], bool] | None:
    """The arguments the method ``ref`` is called with: (positional, keywords, watch), where
    ``ref`` is either the called function or the function handed to a caller
    (``call_json(fn, *args)``, ``api.call(fn, *args)``)."""
    parent = mod.parents.get(ref)
    if not isinstance(parent, ast.Call):
        return None
    if parent.func is ref:
        positional = list(parent.args)
    elif ref in parent.args:
        positional = list(parent.args[parent.args.index(ref) + 1:])
    else:
        return None
    positional = [item for arg in positional for item in _spliced(arg, ref, mod)]
    keywords = {k.arg: k.value for k in parent.keywords if k.arg}
    watch = isinstance(keywords.get("watch"), ast.Constant) and keywords["watch"].value is True
    called = parent.func.attr if isinstance(parent.func, ast.Attribute) else getattr(parent.func, "id", "")
    if called in WATCHING_CALLS and parent.func is not ref:  # the list method handed to a watcher
        watch = True
    return positional, keywords, watch


def _spliced(arg: ast.expr, at: ast.AST, mod: _Module) -> list[ast.expr]:
    """``*name`` where the enclosing function set ``name = (a, b, ...)``: its items; else the argument."""
    if not (isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name)):
        return [arg]
    function = _enclosing(at, mod, ast.FunctionDef)
    tuples = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign) and isinstance(n.value, (ast.Tuple, ast.List))
              and any(isinstance(t, ast.Name) and t.id == arg.value.id for t in n.targets)] if function else []
    return list(tuples[0].elts) if len(tuples) == 1 else [arg]


def _bind(params: tuple[str, ...], positional: list[ast.expr], keywords: dict[str, ast.expr]) -> dict[str, ast.expr] | None:
    """Parameter name -> argument; None when a starred argument hides the positions."""
    if any(isinstance(a, ast.Starred) for a in positional):
        return None
    bound = dict(zip(params, positional))
    bound.update({k: v for k, v in keywords.items() if k in params})
    return bound


def _forwarded(ref: ast.Attribute, mod: _Module, modules: dict[str, _Module]) -> list[tuple[str | None, str | None]]:
    """(group, plural) of each construction of the class whose ``__init__`` takes the
    ``group`` and ``plural`` that the call at ``ref`` hands on unresolved."""
    cls = _enclosing(ref, mod, ast.ClassDef)
    if cls is None:
        return []
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    params = tuple(a.arg for a in init.args.args[1:]) if init else ()
    if not {"group", "plural"} <= set(params):
        return []
    found = []
    for other in modules.values():
        for node in ast.walk(other.tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name != cls.name:
                continue
            bound = _bind(params, list(node.args), {k.arg: k.value for k in node.keywords if k.arg})
            if bound is None:
                continue
            found.append((_resolve(bound["group"], other, modules) if "group" in bound else None,
                          _resolve(bound["plural"], other, modules) if "plural" in bound else None))
    return found


def _identity(module: str, package: str, line: int) -> str:
    """Whose rights a call in ``module`` uses: the server's, or a job pod's service account."""
    if not module.startswith(f"{package}.{RUNTIME_DIR}."):
        return SERVER
    for prefix, identity in POD_IDENTITIES.items():
        if module.startswith(f"{package}.{prefix}."):
            return identity
    raise RbacDerivationError(f"{module}:{line}: code inside job pods calls the Kubernetes API, but its pods "
                              "have no service account: give them one (POD_IDENTITIES and the chart)")


def _calls_in(mod: _Module, modules: dict[str, _Module], methods: dict[str, list[str]],
              package: str) -> Iterator[ApiCall]:
    for node in ast.walk(mod.tree):
        if not isinstance(node, ast.Attribute) or node.attr not in methods or not isinstance(node.ctx, ast.Load):
            continue
        found = {endpoint(cls, node.attr) for cls in methods[node.attr]}
        if len({(e.method, e.path) for e in found}) > 1:
            raise RbacDerivationError(f"{mod.name}:{node.lineno}: {node.attr} is a method of several API classes "
                                      f"({', '.join(methods[node.attr])}) with different paths")
        ep = found.pop()
        args = _call_arguments(node, mod)
        positional, keywords, watch = args if args else ([], {}, False)
        targets: list[tuple[str | None, str | None]] = [(None, None)]
        if "{group}" in ep.path or "{plural}" in ep.path:
            bound = _bind(ep.params, positional, keywords) if args else None
            if bound is not None and "group" in bound and "plural" in bound:
                targets = [(_resolve(bound["group"], mod, modules), _resolve(bound["plural"], mod, modules))]
            else:
                targets = _forwarded(node, mod, modules)
            unresolved = not targets or any(g is None or p is None for g, p in targets)
            if unresolved:
                raise RbacDerivationError(
                    f"{mod.name}:{node.lineno}: {node.attr} is called with a group or plural that is not a "
                    "literal or a module constant; name them where it is called")
        identity = _identity(mod.name, package, node.lineno)
        for group, plural in targets:
            api_group, resource, verb, namespaced = ep.right(group, plural, watch=watch)
            yield ApiCall(identity, mod.name, node.lineno, node.attr, api_group, resource, verb, namespaced)
            if watch:  # a watch lists first
                yield ApiCall(identity, mod.name, node.lineno, node.attr, api_group, resource, "list", namespaced)


def api_calls(root: Path | None = None, package: str = PACKAGE) -> list[ApiCall]:
    """Every Kubernetes API call in the package's code (``root``: the folder holding the package)."""
    root = Path(root) if root is not None else Path(__file__).resolve().parents[3]
    modules = _read_modules(root, package)
    methods = _methods(_api_classes(modules.values()))
    calls = [c for mod in modules.values() for c in _calls_in(mod, modules, methods, package)]
    return sorted(set(calls), key=lambda c: (c.identity, c.right, c.module, c.line))


def required_rights(calls: Iterable[ApiCall]) -> dict[str, set[tuple[str, str, str]]]:
    """identity -> {(apiGroup, resource, verb)} it needs."""
    out: dict[str, set[tuple[str, str, str]]] = {SERVER: set(), PIPELINE_RUNNER: set()}
    for call in calls:
        out.setdefault(call.identity, set()).add(call.right)
    return out


def rule_rights(rules: Iterable[dict]) -> set[tuple[str, str, str]]:
    """The (apiGroup, resource, verb) triples a Role's rules grant (no wildcards expected)."""
    return {(g, r, v) for rule in rules for g in rule.get("apiGroups") or [] for r in rule.get("resources") or []
            for v in rule.get("verbs") or []}


def role_rules(rights: Iterable[tuple[str, str, str]]) -> list[dict]:
    """Compact Role rules: resources of one group that take the same verbs share a rule."""
    verbs: dict[tuple[str, str], set[str]] = {}
    for group, resource, verb in rights:
        verbs.setdefault((group, resource), set()).add(verb)
    shared: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (group, resource), vs in sorted(verbs.items()):
        shared.setdefault((group, tuple(sorted(vs))), []).append(resource)
    return [{"apiGroups": [group], "resources": resources, "verbs": list(vs)}
            for (group, vs), resources in sorted(shared.items())]


def rules_yaml(identity: str, calls: list[ApiCall]) -> str:
    """The rules of one identity as YAML (a list), each with the code that needs it as a comment."""
    mine = [c for c in calls if c.identity == identity]
    lines = [f"# The Kubernetes API rights of the {identity}, generated from the code by",
             "#   python -m jupyter_easymaker.backend.kubernetes.rbac --write <this folder>",
             "# (tests/test_kubernetes_rbac.py fails when the code and this file disagree)."]
    for rule in role_rules({c.right for c in mine}):
        users = sorted({f"{c.function} ({c.module.removeprefix(PACKAGE + '.')})" for c in mine
                        if c.api_group in rule["apiGroups"] and c.resource in rule["resources"] and c.verb in rule["verbs"]})
        lines += [f"# {u}" for u in users]
        lines += [f"- apiGroups: {json.dumps(rule['apiGroups'])}",
                  f"  resources: {json.dumps(rule['resources'])}",
                  f"  verbs: {json.dumps(rule['verbs'])}"]
    return "\n".join(lines) + "\n"


RULE_FILES = {SERVER: "server-rules.yaml", PIPELINE_RUNNER: "pipeline-runner-rules.yaml"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    calls = api_calls()
    cluster_wide = [c for c in calls if not c.namespaced]
    if cluster_wide:
        print("cluster-scoped calls (a Role cannot grant them):", *(c.where for c in cluster_wide), file=sys.stderr)
    if args[:1] == ["--write"] and len(args) == 2:
        for identity, name in RULE_FILES.items():
            (Path(args[1]) / name).write_text(rules_yaml(identity, calls), encoding="utf-8")
        return 0
    if args:
        print("usage: python -m jupyter_easymaker.backend.kubernetes.rbac [--write DIR]", file=sys.stderr)
        return 2
    for identity in RULE_FILES:
        print(rules_yaml(identity, calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
