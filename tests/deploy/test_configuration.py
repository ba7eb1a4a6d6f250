"""docs/configuration.md lists every PORTAL_* setting the code reads, with the code's default.

The code is read, not imported: every `_env("NAME", ...)`, `_env_int`, `_env_bool` and
`os.environ` / `os.getenv` look-up of a PORTAL_ name, and every other mention of one, in
portal/, gunicorn.conf.py, wsgi.py, the tests, the Makefile and .ci/run.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from portal.config import ROOT

DOC = ROOT / "docs" / "configuration.md"
NAME = re.compile(r"\bPORTAL_[A-Z0-9]+(?:_[A-Z0-9]+)*\b")
HELPERS = {"_env", "_env_int", "_env_bool"}


def _sources() -> list[Path]:
    python = [*sorted((ROOT / "portal").rglob("*.py")), ROOT / "gunicorn.conf.py",
              ROOT / "wsgi.py", *sorted((ROOT / "tests").rglob("*.py"))]
    return [path for path in python if path != Path(__file__)] + [ROOT / "Makefile",
                                                                  ROOT / ".ci" / "run"]


def _literal(node: ast.AST):
    """The value of a constant default (`25`, `"memory://"`, `10 * 1024 * 1024`), else None."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = _literal(node.left), _literal(node.right)
        if isinstance(left, int) and isinstance(right, int):
            return left * right
    return None


def _looked_up(node: ast.Call) -> str | None:
    """The PORTAL_ name an environment look-up reads, if `node` is one."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(
        func, ast.Attribute) else None
    if not node.args or not isinstance(node.args[0], ast.Constant):
        return None
    first = node.args[0].value
    if name in HELPERS and isinstance(first, str):
        return f"PORTAL_{first}"
    if name in ("get", "getenv") and isinstance(first, str) and NAME.fullmatch(first):
        return first
    return None


@functools.cache
def settings_in_code() -> dict[str, set]:
    """Every PORTAL_ name in the code, with the literal defaults it is read with."""
    found: dict[str, set] = {}
    for path in _sources():
        source = path.read_text(encoding="utf-8")
        for name in NAME.findall(source):
            found.setdefault(name, set())
        if path.suffix != ".py" and path.name != "gunicorn.conf.py":
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and (name := _looked_up(node)):
                default = _literal(node.args[1]) if len(node.args) > 1 else None
                found.setdefault(name, set()).add(default)
            elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
                # `os.environ.get("PORTAL_X") or 4`
                first, *rest = node.values
                if isinstance(first, ast.Call) and (name := _looked_up(first)) and rest:
                    found.setdefault(name, set()).add(_literal(rest[-1]))
    return found


def documented() -> dict[str, str]:
    """The reference's rows: name -> its default cell."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and NAME.fullmatch(cells[0].strip("`")):
            rows[cells[0].strip("`")] = cells[1]
    return rows


def test_every_setting_in_the_code_is_documented():
    missing = sorted(set(settings_in_code()) - set(documented()))
    assert not missing, f"add these to docs/configuration.md: {', '.join(missing)}"


def test_every_documented_setting_is_still_read_somewhere():
    stale = sorted(set(documented()) - set(settings_in_code()))
    assert not stale, f"docs/configuration.md lists settings nothing reads: {', '.join(stale)}"


def test_documented_defaults_match_the_code():
    rows = documented()
    wrong = []
    for name, defaults in settings_in_code().items():
        for default in defaults:
            if default in (None, "") or isinstance(default, bool) or name not in rows:
                continue
            if f"`{default}`" not in rows[name]:
                wrong.append(f"{name}: the code's default is {default!r}, "
                             f"the reference says {rows[name]!r}")
    assert not wrong, "\n".join(wrong)


def test_the_scan_finds_the_settings_it_must():
    code = settings_in_code()
    assert {"PORTAL_SECRET_KEY", "PORTAL_SIGN_IN_RATE_LIMIT", "PORTAL_WORKERS",
            "PORTAL_TEST_DATABASE_URL"} <= set(code)
    assert code["PORTAL_SMTP_PORT"] == {25}
    assert code["PORTAL_MAX_UPLOAD_BYTES"] == {10 * 1024 * 1024}
    assert 4 in code["PORTAL_THREADS"]


def test_the_readme_points_to_the_reference_instead_of_copying_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/configuration.md" in readme
    assert "| `PORTAL_" not in readme
