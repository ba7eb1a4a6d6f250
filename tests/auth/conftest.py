"""Helpers for the getting-in tests: reading the development outbox."""

from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest


class Outbox:
    """The mails the portal wrote to its outbox folder during a test."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self):
        if not self.folder.exists():
            return []
        paths = sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [message_from_bytes(p.read_bytes(), policy=default) for p in paths]

    def to(self, address: str):
        return [m for m in self.messages() if m["To"] == address]

    def last_body(self, address: str) -> str:
        found = self.to(address)
        assert found, f"no mail to {address}"
        return found[-1].get_content()

    def clear(self):
        for path in self.folder.glob("*.eml"):
            path.unlink()


@pytest.fixture
def outbox(app):
    box = Outbox(Path(app.config["OUTBOX_DIR"]))
    box.clear()
    yield box
    box.clear()
