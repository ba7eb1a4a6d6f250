"""The list of covered ASVS requirements (tests/security/asvs.py) stays true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.security.asvs import COVERED

TESTS = Path(__file__).resolve().parents[1]
DOCS = TESTS.parent / "docs" / "security.md"
NAMED = re.compile(r"^test_asvs_(\d+)_(\d+)_(\d+)_")


def _requirement_tests() -> dict[str, set[str]]:
    """Requirement id -> the modules with a test named after it."""
    found: dict[str, set[str]] = {}
    for path in TESTS.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and (match := NAMED.match(node.name)):
                found.setdefault(".".join(match.groups()), set()).add(
                    str(path.relative_to(TESTS)))
    return found


def test_every_test_named_after_a_requirement_is_listed_with_its_module():
    for requirement, modules in _requirement_tests().items():
        assert requirement in COVERED, f"{requirement} is tested but not listed in asvs.py"
        assert modules <= set(COVERED[requirement][1]), (requirement, modules)


def test_every_listed_module_exists():
    for requirement, (_, modules) in COVERED.items():
        for module in modules:
            assert (TESTS / module).is_file(), f"{requirement}: no {module}"


def test_docs_security_md_says_how_each_covered_requirement_is_met():
    text = DOCS.read_text()
    for requirement in COVERED:
        assert f"| {requirement} |" in text, f"{requirement} is not in docs/security.md"
