"""The forms a page holds, read from its HTML the way a browser would submit them."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Field:
    """One named control of a form."""

    name: str
    kind: str  # the input type, or "select", "textarea"
    value: str = ""
    options: list[str] = field(default_factory=list)
    required: bool = False
    maxlength: int | None = None


@dataclass
class Form:
    action: str
    method: str
    enctype: str = "application/x-www-form-urlencoded"
    fields: dict[str, Field] = field(default_factory=dict)

    def add(self, control: Field) -> None:
        known = self.fields.get(control.name)
        if known is None:
            self.fields[control.name] = control
        elif control.kind in ("radio", "checkbox") and control.value:
            known.options.append(control.value)  # one name, several choices


class _FormParser(HTMLParser):
    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page_path, a.get("action") or self.page_path)
            self._form = Form(action=urlsplit(action).path, method=a.get("method", "get").lower(),
                              enctype=a.get("enctype") or "application/x-www-form-urlencoded")
            self.forms.append(self._form)
            return
        if tag == "option" and self._select is not None:
            value = a.get("value")
            self._select.options.append(value if value is not None else "")
            if "selected" in a or len(self._select.options) == 1:
                self._select.value = self._select.options[-1]
            return
        if self._form is None or not a.get("name"):
            return
        common = dict(name=a["name"], required="required" in a,
                      maxlength=int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None)
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            control = Field(kind=kind, value=value, **common)
            if kind in ("radio", "checkbox"):
                control.options = [value]
            self._form.add(control)
        elif tag == "select":
            self._select = Field(kind="select", **common)
            self._form.add(self._select)
        elif tag == "textarea":
            self._textarea = Field(kind="textarea", **common)
            self._form.add(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(page: str, page_path: str) -> list[Form]:
    """Every form in `page` (served at `page_path`), actions made absolute paths."""
    parser = _FormParser(page_path)
    parser.feed(page)
    return parser.forms


class _QueryParser(HTMLParser):
    """The query parameters that a page's links and GET forms send, by path."""

    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.found: dict[str, set[str]] = {}
        self._get_form: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and "?" in a.get("href", ""):
            url = urlsplit(urljoin(self.page_path, a["href"]))
            if not url.netloc:
                names = {part.split("=", 1)[0] for part in url.query.split("&") if part}
                self.found.setdefault(url.path, set()).update(names)
        elif tag == "form":
            if a.get("method", "get").lower() == "get":
                action = urljoin(self.page_path, a.get("action") or self.page_path)
                self._get_form = urlsplit(action).path
                self.found.setdefault(self._get_form, set())
        elif self._get_form and tag in ("input", "select", "textarea") and a.get("name"):
            self.found[self._get_form].add(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._get_form = None


def query_parameters_on(page: str, page_path: str) -> dict[str, set[str]]:
    """Path -> names of the query parameters the page's links and GET forms send there."""
    parser = _QueryParser(page_path)
    parser.feed(page)
    return parser.found
