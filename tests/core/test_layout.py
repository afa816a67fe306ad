"""One layout for every page: navigation, search box, honest placeholders, demo badges."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/", "/sign-in", "/sign-up", "/forgot-password", "/wiki/"])
def test_layout_has_navigation_search_and_skip_link(client, path):
    page = client.get(path).text
    for href in ('href="/wiki/"', 'href="/evaluations/"', 'href="/rotations/"'):
        assert href in page
    assert 'role="search"' in page and 'action="/search"' in page
    assert 'href="#main"' in page and 'id="main"' in page
    assert 'name="viewport"' in page


def test_search_page_escapes_the_query(client):
    page = client.get("/search?q=<script>alert(1)</script>").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_every_form_input_has_a_label(client):
    for path in ("/sign-in", "/sign-up", "/forgot-password"):
        page = client.get(path).text
        inputs = re.findall(r"<input[^>]*>", page)
        visible = [i for i in inputs if 'type="hidden"' not in i]
        for field_id in (re.search(r'\bid="([^"]+)"', i).group(1) for i in visible):
            assert f'for="{field_id}"' in page, f"{path}: #{field_id} has no label"


def test_static_assets_are_local_and_served(client):
    page = client.get("/").text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert client.get(asset).status_code == 200
    assert not re.search(r'(?:src|href)="https?://', page)


def test_vendor_folder_carries_licences():
    vendor = ROOT / "static" / "vendor"
    for library in (p for p in vendor.iterdir() if p.is_dir()) if vendor.exists() else []:
        assert any(f.name.upper().startswith(("LICENSE", "LICENCE")) for f in library.iterdir())


def test_signed_in_header_shows_unread_notices_and_demo_badge(client, auth, make_user):
    user = make_user(is_demo=True)
    auth.sign_in(user.email)
    page = client.get("/").text
    assert 'class="badge demo"' in page
    assert 'class="count"' not in page
