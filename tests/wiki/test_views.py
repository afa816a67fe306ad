"""The wiki over HTTP: create, edit (also concurrently), preview, history, diff, permalinks,
attachments, settings, sign-off, feeds and bounded queries."""

from io import BytesIO

import pytest
from sqlalchemy import select

from exchange.extensions import db
from exchange.wiki.models import Page, Revision
from tests.support import count_queries
from tests.wiki.xss_payloads import XSS_PAYLOADS

NEW = {
    "title": "CTF suite",
    "slug": "",
    "kind": "methodology",
    "language": "en",
    "visibility": "network",
    "tags": "cyber, Agentic",
    "source": "# Setup\n\nUse [[elicitation-checklist|the checklist]].\n\n## Run\n\nText.\n",
    "summary": "first",
}
PARAS = "Alpha paragraph.\n\nBeta paragraph.\n\nGamma paragraph.\n"


def edit(client, slug, base, source, title="CTF suite", **extra):
    return client.post(
        f"/wiki/{slug}/edit",
        data={
            "title": title,
            "source": source,
            "base_revision_id": str(base),
            **extra,
        },
    )


def current_id(app, slug):
    with app.app_context():
        return db.session.scalar(select(Page.current_revision_id).where(Page.slug == slug))


def test_create_view_edit_history_diff_permalink(app, client, auth, people):
    auth.sign_in(people.kr.email)
    response = client.post("/wiki/new", data=NEW)
    assert response.status_code == 302 and response.headers["Location"] == "/wiki/ctf-suite"
    page = client.get("/wiki/ctf-suite").text
    assert "<h1>CTF suite</h1>" in page
    assert 'class="wikilink wanted" data-wikilink="elicitation-checklist"' in page
    assert 'href="/wiki/new?slug=elicitation-checklist"' in page
    assert "#cyber" in page and "#agentic" in page
    assert 'class="toc"' in page
    base = current_id(app, "ctf-suite")
    assert (
        edit(
            client, "ctf-suite", base, NEW["source"] + "\nMore words here.\n", summary="more"
        ).status_code
        == 302
    )
    history = client.get("/wiki/ctf-suite/history").text
    assert "more" in history and "first" in history
    diff = client.get("/wiki/ctf-suite/diff?from=1&to=2").text
    assert "<ins>" in diff and "More words here." in diff
    old = client.get("/wiki/ctf-suite/r/1").text
    assert "old revision" in old and "More words here." not in old
    raw = client.get("/wiki/ctf-suite/raw?r=1")
    assert raw.mimetype == "text/plain" and raw.text == NEW["source"]
    assert client.get("/wiki/ctf-suite/r/9").status_code == 404
    assert client.get("/wiki/ctf-suite/diff?from=x").status_code == 400


def test_form_errors_keep_the_text(client, auth, people):
    auth.sign_in(people.kr.email)
    page = client.post("/wiki/new", data={**NEW, "title": "", "source": "Keep me *please*"})
    assert page.status_code == 200
    assert "Keep me *please*" in page.text
    page = client.post("/wiki/new", data={**NEW, "visibility": "institutes"})
    assert "List at least one institute" in page.text and "Use [[elicitation-checklist" in page.text


def test_saving_unchanged_text_creates_no_revision(app, client, auth, people, make_page):
    make_page(people.kr, "still", PARAS)
    auth.sign_in(people.kr.email)
    edit(client, "still", current_id(app, "still"), PARAS.replace("\n", "\r\n"), title="Still")
    with app.app_context():
        assert db.session.scalar(select(Revision.number).order_by(Revision.number.desc())) == 1


def test_two_editors_non_overlapping_merge_then_confirm(app, people, make_page):
    make_page(people.kr, "shared", PARAS, title="Shared")
    first, second = app.test_client(), app.test_client()
    for c, user in ((first, people.kr), (second, people.kr2)):
        c.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple"})
    base = current_id(app, "shared")
    assert edit(first, "shared", base, PARAS.replace("Alpha", "ALPHA"), "Shared").status_code == 302
    response = edit(second, "shared", base, PARAS.replace("Gamma", "GAMMA"), "Shared")
    assert response.status_code == 409
    assert "Someone else saved this page" in response.text
    assert "ALPHA paragraph." in response.text and "GAMMA paragraph." in response.text
    newer = current_id(app, "shared")
    assert f'name="base_revision_id" type="hidden" value="{newer}"' in response.text
    merged = PARAS.replace("Alpha", "ALPHA").replace("Gamma", "GAMMA")
    assert edit(second, "shared", newer, merged, "Shared").status_code == 302
    final = second.get("/wiki/shared/raw").text
    assert "ALPHA" in final and "GAMMA" in final


def test_two_editors_overlapping_see_both_versions(app, people, make_page):
    make_page(people.kr, "shared", PARAS, title="Shared")
    first, second = app.test_client(), app.test_client()
    for c, user in ((first, people.kr), (second, people.kr2)):
        c.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple"})
    base = current_id(app, "shared")
    edit(first, "shared", base, PARAS.replace("Beta paragraph.", "Beta by one."), "Shared")
    mine = PARAS.replace("Beta paragraph.", "Beta by two.")
    response = edit(second, "shared", base, mine, "Shared")
    assert response.status_code == 409
    assert "overlaps with a newer revision" in response.text
    assert "Beta by two." in response.text  # the user's own text is intact
    assert "Beta by one." in response.text  # theirs is shown beside it
    assert "Beta by one." in second.get("/wiki/shared/raw").text  # nothing overwritten


def test_preview_renders_without_saving(app, client, auth, people):
    auth.sign_in(people.kr.email)
    response = client.post("/wiki/preview", data={"source": "**bold** <script>x</script>"})
    assert response.status_code == 200
    assert "<strong>bold</strong>" in response.json["html"]
    assert "<script" not in response.json["html"]
    page = client.post("/wiki/new", data={**NEW, "preview": "1"})
    assert "<h1" in page.text and "Setup" in page.text
    with app.app_context():
        assert db.session.scalar(select(Page.id)) is None


def test_revert_over_http(app, client, auth, people, make_page):
    make_page(people.kr, "rev", PARAS, title="Rev")
    auth.sign_in(people.kr.email)
    edit(client, "rev", current_id(app, "rev"), "Broken.\n", "Rev")
    assert client.post("/wiki/rev/revert/1").status_code == 302
    assert client.get("/wiki/rev/raw").text == PARAS
    assert "Reverted to revision 1" in client.get("/wiki/rev/history").text


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_page_view_neutralises_xss(client, auth, people, payload):
    auth.sign_in(people.kr.email)
    slug = "xss"
    client.post("/wiki/new", data={**NEW, "title": "XSS", "slug": slug, "source": payload})
    html = client.get(f"/wiki/{slug}").text
    body = html.split('<div class="wiki-content">', 1)[1].split("</article>", 1)[0]
    for tag, attrs in parse_tags(body):
        assert tag not in {"script", "iframe", "object", "embed", "style", "form", "base"}, tag
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", (tag, name)
            if name in ("href", "src"):
                scheme = (value or "").strip().lower().split(":", 1)[0]
                assert scheme not in {"javascript", "vbscript", "data"}, value


def parse_tags(html: str) -> list[tuple[str, list]]:
    """Every start tag with its (unescaped) attributes, as a browser's tokenizer sees them."""
    from html.parser import HTMLParser

    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

        handle_startendtag = handle_starttag

    Collector(convert_charrefs=True).feed(html)
    return found


def test_attachments_limits_types_and_headers(app, client, auth, people, make_page):
    make_page(people.kr, "files", PARAS, title="Files")
    auth.sign_in(people.kr.email)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    ok = client.post(
        "/wiki/files/files",
        data={"file": (BytesIO(png), "chart.png")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    served = client.get("/wiki/files/files/chart.png")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in served.headers.get("Content-Disposition", "")
    client.post(
        "/wiki/files/files",
        data={"file": (BytesIO(b"a,b\n1,2\n"), "data.csv")},
        content_type="multipart/form-data",
    )
    csv = client.get("/wiki/files/files/data.csv")
    assert csv.headers["Content-Disposition"].startswith("attachment")
    refused = client.post(
        "/wiki/files/files",
        data={"file": (BytesIO(b"<svg onload=x>"), "x.svg")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "not accepted" in refused.text
    fake = client.post(
        "/wiki/files/files",
        data={"file": (BytesIO(b"<html><script>"), "evil.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400 and "does not match" in fake.text
    app.config["WIKI_ATTACHMENT_MAX_BYTES"] = 50
    try:
        big = client.post(
            "/wiki/files/files",
            data={"file": (BytesIO(png), "big.png")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["WIKI_ATTACHMENT_MAX_BYTES"] = 10 * 1024 * 1024
    assert big.status_code == 400 and "larger than" in big.text
    assert client.get("/wiki/files/files/nope.png").status_code == 404


def test_settings_rename_and_old_links(app, client, auth, people, make_page):
    make_page(people.kr, "old-home", PARAS, title="Home")
    make_page(people.kr, "pointer", "See [[old-home]].\n", title="Pointer")
    auth.sign_in(people.kr.email)
    assert client.post("/wiki/old-home/rename", data={"slug": "new-home"}).status_code == 302
    moved = client.get("/wiki/old-home/history")
    assert moved.status_code == 301 and moved.headers["Location"] == "/wiki/new-home/history"
    assert "Pointer" in client.get("/wiki/new-home/backlinks").text
    assert 'class="wikilink" data-wikilink="old-home"' in client.get("/wiki/pointer").text
    response = client.post(
        "/wiki/new-home/settings",
        data={
            "kind": "guide",
            "language": "en",
            "visibility": "institutes",
            "institutes": [people.uk_institute.id],
            "tags": "x",
            "embargo_until": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.slug == "new-home"))
        assert page.visibility == "institutes" and page.allowed_institute_ids == [
            people.uk_institute.id
        ]


def test_sign_off_and_older_revision_notice(app, client, auth, people, make_page):
    make_page(people.kr, "finding", PARAS, title="Finding", kind="finding")
    auth.sign_in(people.kr2.email)
    assert client.post("/wiki/finding/signoff", data={"level": "reviewed"}).status_code == 302
    page = client.get("/wiki/finding").text
    assert "Reviewed by Park KR" in page
    edit(client, "finding", current_id(app, "finding"), PARAS + "\nLater.\n", "Finding")
    assert "applies to an older revision" in client.get("/wiki/finding").text
    auth.sign_out()
    auth.sign_in(people.uk.email)
    assert client.post("/wiki/finding/signoff", data={"level": "endorsed"}).status_code == 403


def test_recent_changes_feed_and_wanted(client, auth, people, make_page):
    make_page(
        people.kr, "a-page", "Needs [[missing-thing]].\n", title="A page", visibility="public"
    )
    feed = client.get("/wiki/recent.atom")
    assert feed.mimetype == "application/atom+xml" and "A page" in feed.text
    assert "A page" in client.get("/wiki/recent").text
    assert "missing-thing" in client.get("/wiki/wanted").text


def test_list_filters_and_facets(client, auth, people, make_page):
    make_page(people.kr, "m1", "x", title="Method one", tags=["cyber"])
    make_page(people.uk, "f1", "x", title="Finding one", kind="finding", language="ko")
    auth.sign_in(people.jp.email)
    page = client.get("/wiki/?kind=finding").text
    assert "Finding one" in page and "Method one" not in page
    assert "Method one" in client.get("/wiki/?tag=cyber").text
    assert "Finding one" not in client.get("/wiki/?institute=KR-AISI").text
    assert "Finding one" in client.get("/wiki/?language=ko").text
    assert client.get("/wiki/?page=0").status_code == 404


def test_list_counts_what_the_reader_may_see_with_and_without_filters(
    client, auth, people, make_page
):
    # The number of pages comes from the facet counts (no count query of its own).
    for n in range(26):
        make_page(people.kr if n % 2 else people.uk, f"seen-{n}", tags=["even" if n % 2 else "odd"])
    make_page(people.uk, "hidden-1", visibility="institutes", institutes=[people.uk_institute])
    make_page(people.uk, "hidden-2", visibility="institutes", institutes=[people.uk_institute])
    auth.sign_in(people.jp.email)
    assert "26 pages" in client.get("/wiki/").text
    assert "13 pages" in client.get("/wiki/?institute=UK-AISI").text
    assert "13 pages" in client.get("/wiki/?tag=odd").text
    assert "0 pages" in client.get("/wiki/?institute=JP-AISI").text
    second = client.get("/wiki/?page=2").text  # newest first: the oldest page is alone there
    assert ">Seen 0</a>" in second and ">Seen 1</a>" not in second
    assert client.get("/wiki/?page=3").status_code == 404
    assert client.get("/wiki/?tag=odd&page=2").status_code == 404


def test_list_queries_are_bounded_whatever_the_page_size(app, client, auth, people, make_page):
    auth.sign_in(people.kr.email)
    make_page(people.kr, "p0", "See [[gone]].", tags=["t0"])
    urls = ("/wiki/", "/wiki/recent", "/wiki/recent.atom", "/wiki/wanted")
    few = [count_queries(app, client, url) for url in urls]
    for n in range(1, 30):
        make_page(
            people.kr if n % 2 else people.kr2,
            f"p{n}",
            "See [[p0]] and [[gone]].",
            tags=[f"t{n}", "shared"],
        )
    many = [count_queries(app, client, url) for url in urls]
    assert many == few, (few, many)


def test_wiki_pages_load_only_local_assets_that_exist(client, auth, people, make_page):
    import re

    make_page(people.kr, "math", "Inline $a^2$ and\n\n$$b^2$$\n", visibility="public")
    for url in ("/wiki/math", "/wiki/", "/wiki/math/history"):
        page = client.get(url).text
        assert not re.search(r'(?:src|href)="https?://', page)
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
            assert client.get(asset).status_code == 200, asset


def test_page_views_do_no_markdown_work(monkeypatch, client, auth, people, make_page):
    make_page(people.kr, "stored", "# Head\n\nText with [[other]].\n", visibility="public")

    def refuse(*_args, **_kwargs):
        raise AssertionError("Markdown rendered during a page view")

    import exchange.wiki.services
    import exchange.wiki.views

    monkeypatch.setattr(exchange.wiki.views, "render_markdown", refuse)
    monkeypatch.setattr(exchange.wiki.services, "render_markdown", refuse)
    for url in ("/wiki/stored", "/wiki/stored/r/1", "/wiki/stored/history", "/wiki/"):
        assert client.get(url).status_code == 200


def test_link_pages_as_translations_and_flag_staleness(app, client, auth, people, make_page):
    make_page(people.kr, "method-en", PARAS, title="Method")
    make_page(people.kr, "method-ko", "방법\n", title="방법", language="ko")
    make_page(people.kr, "other-en", PARAS, title="Other")
    auth.sign_in(people.kr.email)
    same = client.post("/wiki/other-en/translation", data={"source_slug": "method-en"})
    assert same.status_code == 400 and "another language" in same.text
    assert 'value="method-en"' in same.text  # the user's input is kept
    missing = client.post("/wiki/method-ko/translation", data={"source_slug": "nope"})
    assert missing.status_code == 400 and "No such page" in missing.text
    assert (
        client.post("/wiki/method-ko/translation", data={"source_slug": "method-en"}).status_code
        == 302
    )
    assert 'hreflang="en"' in client.get("/wiki/method-ko").text
    assert 'hreflang="ko"' in client.get("/wiki/method-en").text
    edit(client, "method-en", current_id(app, "method-en"), PARAS + "\nNew.\n", "Method")
    assert "may be out of date" in client.get("/wiki/method-ko").text
    client.post(
        "/wiki/method-ko/edit",
        data={
            "title": "방법",
            "source": "방법\n",
            "translation_in_sync": "y",
            "base_revision_id": str(current_id(app, "method-ko")),
        },
    )
    assert "may be out of date" not in client.get("/wiki/method-ko").text


def test_settings_errors_keep_input_and_other_forms(client, auth, people, make_page):
    make_page(people.kr, "conf", PARAS, title="Conf", tags=["alpha"])
    auth.sign_in(people.kr.email)
    page = client.get("/wiki/conf/settings").text
    assert 'value="alpha"' in page
    failed = client.post(
        "/wiki/conf/settings",
        data={
            "kind": "guide",
            "language": "en",
            "visibility": "institutes",
            "tags": "beta",
        },
    )
    assert failed.status_code == 400 and "List at least one institute" in failed.text
    assert 'value="beta"' in failed.text
    renamed = client.post("/wiki/conf/rename", data={"slug": "!!!"})
    assert renamed.status_code == 400 and 'value="alpha"' in renamed.text


def test_bracket_bombs_are_refused_quickly_with_the_text_kept(client, auth, people):
    auth.sign_in(people.kr.email)
    bomb = "[ [a](x) " * 3000
    page = client.post("/wiki/new", data={**NEW, "source": bomb})
    assert page.status_code == 200 and "too many brackets" in page.text
    assert "[ [a](x) [ [a](x)" in page.text
    assert client.post("/wiki/preview", data={"source": "<a " * 5000}).status_code == 413
