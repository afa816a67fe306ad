"""Both catalogs are complete, and the interface language follows the visitor's choice."""

import re

from exchange.i18n_catalogs import extract_template, missing_translations, read_catalog

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_message_has_a_korean_translation():
    missing = missing_translations("ko")
    assert missing == [], (
        "Messages without Korean translation (run `make messages`, then translate): "
        + "; ".join(missing[:20])
    )


def test_english_catalog_is_complete_too():
    assert missing_translations("en") == []


def test_translations_keep_their_placeholders():
    catalog = read_catalog("ko")
    for message in extract_template():
        if not message.id:
            continue
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        translated = catalog.get(message.id)
        strings = (
            translated.string if isinstance(translated.string, tuple) else (translated.string,)
        )
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(source)), source


def test_language_follows_accept_language_then_defaults_to_english(client):
    assert '<html lang="ko">' in client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).text
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "fr-FR"}).text
    assert '<html lang="en">' in client.get("/").text


def test_visitor_choice_beats_the_browser(client):
    korean_wiki = read_catalog("ko").get("Wiki").string
    client.post("/language", data={"locale": "ko", "next": "/"})
    page = client.get("/", headers={"Accept-Language": "en"}).text
    assert '<html lang="ko">' in page and korean_wiki in page
    client.post("/language", data={"locale": "en"})
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "ko"}).text


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"locale": "xx"})
    assert '<html lang="en">' in client.get("/").text


def test_form_validation_messages_are_translated(client, make_institute):
    page = client.post("/sign-up", data={}, headers={"Accept-Language": "ko"}).text
    assert "This field is required." not in page
    assert 'aria-invalid="true"' in page
