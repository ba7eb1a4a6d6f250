"""The text browser lynx completes a sign-in, driven key by key as a person would."""

import os
import shutil
import subprocess
import time

import pytest

from tests.conftest import make_user

#: No spaces: a space cannot be written as a key in a lynx command script.
LYNX_PASSWORD = "lantern-otter-harbour"

pytestmark = pytest.mark.browser


def _lynx_script(path, username: str, password: str) -> None:
    """Keystrokes: move down to the first form field, type, Tab, type, Enter."""
    keys = ["Down Arrow"] * 6 + list(username) + ["^I"] + list(password) + ["^I", "^J"]
    path.write_text("".join(f"key {k}\n" for k in keys))


def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True,
                          text=True, check=True).stdout


def test_lynx_signs_in_with_the_keyboard(clinic, live_server, tmp_path):
    if not (shutil.which("lynx") and shutil.which("tmux")):
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true":
            pytest.fail("lynx and tmux are required (apt-get install lynx tmux)")
        pytest.skip("lynx or tmux is not installed")
    user = make_user(username="lena", password=LYNX_PASSWORD)
    script = tmp_path / "keys.txt"
    _lynx_script(script, "lena", LYNX_PASSWORD)
    session = f"lynx-{os.getpid()}"
    # CI runs with no terminal and no TERM: give tmux and lynx one explicitly.
    command = (f"env TERM=xterm lynx -accept_all_cookies -nopause -cmd_script={script} "
               f"{live_server}/sign-in")
    # pytest-xdist's workers set LINES and COLUMNS (24 x 80); lynx would then draw for a
    # screen tmux does not have, and the pane stays blank.
    env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "40",
                    command], check=True, env={**env, "TERM": "xterm"})
    try:
        deadline = time.monotonic() + 90  # a busy CI machine runs three workers at once
        screen = ""
        while time.monotonic() < deadline:
            screen = _screen(session)
            if f"Welcome, {user.patient.given_name}" in screen:
                break
            time.sleep(0.5)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    assert f"Welcome, {user.patient.given_name}" in screen, screen
    assert "Sign out" in screen
