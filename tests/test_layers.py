"""The package's layers, kept from outside: imports only go down.

    html -> actions -> web, services -> models -> tax
    api -> web, services -> models -> tax
``web`` may use ``services`` (the security policy checks credentials through them), never
the reverse; ``tax`` imports nothing of the application. Each sub-package lists what it
may import; an import of anything else of the package fails the test, naming the file,
the line and the rule it breaks.
"""
import ast
import pathlib

import impots_pyramid

PACKAGE = pathlib.Path(impots_pyramid.__file__).parent
NAME = "impots_pyramid"

# layer -> the layers it may import (itself always allowed)
MAY_IMPORT = {
    "tax": set(),
    "models": {"tax"},
    "settings": {"tax"},
    "alembic": {"models", "tax", "settings"},
    "data": set(),
    "services": {"models", "tax"},
    "allocator": set(),
    "web": {"services", "models", "tax", "allocator"},
    "actions": {"web", "services", "models", "tax"},
    "html": {"actions", "web", "services", "models", "tax"},
    "api": {"web", "services", "models", "tax"},
    "scripts": {"web", "services", "models", "tax", "settings", "allocator"},
    "__init__": {"settings", "models"},
}
# Within a layer that may import another, modules that it still must not (the browser
# pages call the services, never the JSON views).
FORBIDDEN_MODULES = {"html": {"impots_pyramid.actions.views"}}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: pathlib.Path, root: pathlib.Path, name: str) -> str:
    relative = path.relative_to(root).with_suffix("")
    parts = [name, *relative.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: pathlib.Path, module: str):
    """(line, absolute module name) of every import of the file."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            yield node.lineno, target
            for alias in node.names:  # "from . import simulations" imports a module
                yield node.lineno, f"{target}.{alias.name}"


def violations(root: pathlib.Path, name: str = NAME) -> list:
    """One message per offending import statement."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root, name)
        layer = layer_of(module)
        allowed = MAY_IMPORT.get(layer, set()) | {layer}
        for line, target in imported_modules(path, module):
            if target != name and not target.startswith(name + "."):
                continue
            target_layer = layer_of(target)
            if target_layer not in allowed or target in FORBIDDEN_MODULES.get(layer, ()):
                where = f"{path.relative_to(root)}:{line}"
                found.setdefault(where, f"{where}: {layer} imports {target} "
                                        f"(a {layer} module may import {sorted(allowed)})")
    return sorted(found.values())


def test_imports_only_go_down():
    assert violations(PACKAGE) == []


def test_every_layer_of_the_package_has_a_rule():
    layers = {layer_of(module_name(path, PACKAGE, NAME)) for path in PACKAGE.rglob("*.py")}
    assert layers - set(MAY_IMPORT) == set()


def test_a_wrong_way_import_is_caught(tmp_path):
    """The checker itself: a service importing the action API, the engine importing the
    models, and the pages importing the JSON views are each reported."""
    package = tmp_path / NAME
    for folder in ("services", "tax", "html", "actions"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "services" / "users.py").write_text("from ..actions import envelope\n")
    (package / "tax" / "engine.py").write_text("import impots_pyramid.models\n")
    (package / "html" / "views.py").write_text(
        "from ..actions.forms import login_fields\nfrom ..actions import views\n")
    found = violations(package)
    assert len(found) == 3, found
    assert found[0].startswith("html/views.py:2: html imports impots_pyramid.actions.views")
    assert "services imports impots_pyramid.actions" in found[1]
    assert "tax imports impots_pyramid.models" in found[2]
