"""Message catalogs: extract every translatable string, update the catalogs, find gaps."""

from __future__ import annotations

import copy
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "exchange" / "translations"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
}
METHOD_MAP = [
    ("exchange/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
LOCALES = ("en", "ko")


def extract_template() -> Catalog:
    """Return a catalog of every message the code and templates ask to translate."""
    template = Catalog(project="Exchange", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def catalog_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str) -> Catalog:
    with catalog_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def update_catalogs() -> dict[str, int]:
    """Merge new messages into every catalog; English translations equal their source text."""
    template = extract_template()
    untranslated = {}
    for locale in LOCALES:
        path = catalog_path(locale)
        if path.exists():
            catalog = read_catalog(locale)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, project="Exchange", charset="utf-8")
        # update() shares message objects with the template: give each catalog its own copy.
        catalog.update(copy.deepcopy(template), update_header_comment=False)
        catalog.obsolete.clear()
        if locale == "en":
            for message in catalog:
                if message.id:
                    message.string = message.id
                    message.flags.discard("fuzzy")
        with path.open("wb") as handle:
            write_po(handle, catalog, omit_header=False, sort_output=True, no_location=True)
        untranslated[locale] = len(missing_translations(locale, template))
    return untranslated


def missing_translations(locale: str, template: Catalog | None = None) -> list[str]:
    """Return the source messages that have no finished translation in ``locale``."""
    template = template or extract_template()
    catalog = read_catalog(locale)
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id, context=message.context)
        strings = (
            translated.string
            if translated and isinstance(translated.string, tuple | list)
            else [translated.string if translated else ""]
        )
        if translated is None or translated.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def compile_catalogs() -> None:
    """Write the binary .mo files next to the .po files (run on set-up)."""
    for locale in LOCALES:
        catalog = read_catalog(locale)
        with catalog_path(locale).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
