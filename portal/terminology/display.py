"""How coded items read on a page: the terminology area's template globals and filters
(registered in the package's __init__)."""

from markupsafe import Markup

from portal.terminology import services


def term_name(item) -> Markup:
    """The item's name for the reader, with the source's own name as secondary text."""
    return _with_source(services.friendly_item(item))


def term_source(item) -> Markup:
    """Only the source's own name as secondary text (after a link showing the name)."""
    source = services.friendly_item(item).source
    return Markup(' <span class="source-name">({})</span>').format(source) if source \
        else Markup("")


def term_detail(item, key: str) -> Markup:
    """A coded detail of the item (a visit's reason) as `term_name` shows names."""
    found = services.friendly_detail(item, key)
    return _with_source(found) if found else Markup("")


def term_reactions(item) -> list[Markup]:
    """An allergy's reactions, each as `term_name` shows names."""
    return [_with_source(found) for found in services.friendly_reactions(item)]


def term_explanation(item) -> str | None:
    """What the item is or measures, in plain words in the reader's language."""
    return services.friendly_item(item).explanation


def term_names_of(item_ids) -> dict[int, Markup]:
    """Names of the record items `item_ids` (a list naming what it refers to, such as repeat
    prescription requests), as `term_name` shows them, in one query for the whole list."""
    return {item_id: _with_source(found)
            for item_id, found in services.friendly_by_item_id(item_ids).items()}


def friendly_name(item) -> str:
    """The name alone, for page titles, captions and link texts."""
    return services.friendly_item(item).name


def term_text(item) -> str:
    """Name and source's name as plain text, for the text download: "Name (Source)"."""
    return _as_text(services.friendly_item(item))


def term_detail_text(item, key: str) -> str:
    """A coded detail as plain text, for the text download: "Name (Source)"."""
    found = services.friendly_detail(item, key)
    return _as_text(found) if found else ""


def term_reactions_text(item) -> str:
    """An allergy's reactions as plain text, for the text download."""
    return ", ".join(_as_text(found) for found in services.friendly_reactions(item))


def _as_text(found: services.Friendly) -> str:
    return f"{found.name} ({found.source})" if found.source else found.name


def _with_source(found: services.Friendly) -> Markup:
    if not found.source:
        return Markup.escape(found.name)
    return Markup('{} <span class="source-name">({})</span>').format(found.name, found.source)
