"""The Dutch and Polish catalogs are complete, consistent and compiled."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("nl", "pl")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
            "lazy_gettext": None, "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def _po(lang: str) -> Catalog:
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def _source_messages() -> set:
    """Every message id the code and templates use right now."""
    method_map = [("portal/**.py", "python"), ("templates/**.html", "jinja2"),
                  ("templates/**.txt", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options, keywords={**KEYWORDS, "_": None}):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _placeholders(text: str) -> set:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.fixture(scope="module")
def source_messages():
    return _source_messages()


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_in_the_code_is_in_the_catalog(lang, source_messages):
    catalog_ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _po(lang) if m.id}
    missing = sorted(source_messages - catalog_ids)
    assert not missing, (f"{len(missing)} messages missing from {lang}: run "
                         f"`make translations-extract`; e.g. {missing[:5]}")


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated_and_not_fuzzy(lang):
    bad = []
    for message in _po(lang):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s and s.strip() for s in strings):
            bad.append(message.id)
    assert not bad, f"{len(bad)} untranslated or fuzzy in {lang}, e.g. {bad[:5]}"


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_the_same_placeholders(lang):
    wrong = []
    for message in _po(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(_placeholders(i) for i in ids))
        for string in strings:
            # a singular form may say "one" in words instead of %(num)d
            if _placeholders(string) - expected or (
                    not isinstance(message.id, tuple) and _placeholders(string) != expected):
                wrong.append((message.id, string))
    assert not wrong, wrong[:5]


def test_polish_has_three_plural_forms_and_uses_all_of_them():
    catalog = _po("pl")
    assert catalog.num_plurals == 3
    for message in catalog:
        if message.id and isinstance(message.id, tuple):
            assert len(message.string) == 3 and all(message.string), message.id


def test_dutch_has_two_plural_forms():
    assert _po("nl").num_plurals == 2


@pytest.mark.parametrize("lang", LANGS)
def test_the_compiled_catalog_is_current(lang):
    mo_path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "run `make setup` to compile the catalogs"
    def key(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    with open(mo_path, "rb") as handle:
        compiled = {key(m.id): key(m.string) for m in read_mo(handle) if m.id}
    source = {key(m.id): key(m.string) for m in _po(lang) if m.id}
    assert compiled == source, "the .mo file is older than the .po file: run `make setup`"


def test_extraction_command_from_the_makefile_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-o", str(tmp_path / "messages.pot"), "."],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
