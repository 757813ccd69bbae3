"""Who may import whom, read from the source with `ast`: a simulated service builds on the
sandbox's core, the world and the host (app, control plane, clock), never on a sibling
service; the shared layers on no service at all; `sources/` and `sandbox/` never on each
other; benchmarks never on the tests."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = ROOT / "sandbox"
SHARED = ("core", "seed", "world")  # what every service may build on
PACKAGES = sorted(p.name for p in SANDBOX.iterdir() if (p / "__init__.py").is_file())
SERVICES = [name for name in PACKAGES if name not in SHARED]


def imported(text: str, package: tuple[str, ...]) -> set[str]:
    """Every module a module of `package` imports: in TYPE_CHECKING blocks and functions too,
    relative imports resolved, and `from a import b` counted as `a` and `a.b`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join((*base, *([node.module] if node.module else [])))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def offenders(folder: Path, forbidden: Callable[[list[str]], bool]) -> list[str]:
    """`file: module` for every import under `folder` that `forbidden` rejects."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        package = path.relative_to(ROOT).parts[:-1]
        for name in sorted(imported(path.read_text(encoding="utf-8"), package)):
            if forbidden(name.split(".")):
                found.append(f"{path.relative_to(ROOT)}: {name}")
    return found


def test_the_layers_are_where_the_checks_look() -> None:
    assert {"sp_api", "mws", "aim", "paapi", "amzpecty", "lwa"} <= set(SERVICES)
    assert set(SHARED) <= set(PACKAGES)


def test_relative_deferred_and_package_imports_are_seen() -> None:
    text = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ..sp_api.orders import OrderRenderer\n"
        "def late():\n"
        "    from sandbox import aim\n"
    )
    found = imported(text, ("sandbox", "mws"))
    assert {"sandbox.sp_api.orders", "sandbox.aim"} <= found


def service_of(parts: list[str]) -> str | None:
    """The service package a dotted module name lies in, if any."""
    in_service = parts[0] == "sandbox" and len(parts) > 1 and parts[1] in SERVICES
    return parts[1] if in_service else None


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_sibling_service(service: str) -> None:
    assert (
        offenders(SANDBOX / service, lambda parts: service_of(parts) not in (None, service)) == []
    )


@pytest.mark.parametrize("layer", SHARED)
def test_a_shared_layer_imports_no_service(layer: str) -> None:
    assert offenders(SANDBOX / layer, lambda parts: service_of(parts) is not None) == []


@pytest.mark.parametrize(
    ("folder", "other"), [("sandbox", "sources"), ("sources", "sandbox"), ("bench", "tests")]
)
def test_a_tree_never_imports_the_other(folder: str, other: str) -> None:
    assert offenders(ROOT / folder, lambda parts: parts[0] == other) == []
