"""The access policy as a unit matrix: visibility by embargo by viewer."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from flask_login import AnonymousUserMixin

from exchange import access
from exchange.accounts.models import Role
from exchange.db import utcnow

KR, UK, JP = 1, 2, 3
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=utcnow().tzinfo)


@dataclass
class Viewer:
    institute_id: int
    roles: frozenset = frozenset({Role.MEMBER})
    is_authenticated: bool = True
    is_active: bool = True

    def has_role(self, role):
        return role in self.roles


@dataclass
class Content:
    visibility: str
    owner_institute_id: int = KR
    embargo_until: datetime | None = None
    allowed_institute_ids: list[int] = field(default_factory=list)


VIEWERS = {
    "anonymous": AnonymousUserMixin(),
    "kr_member": Viewer(KR),
    "uk_member": Viewer(UK),
    "jp_member": Viewer(JP),
    "jp_admin": Viewer(JP, frozenset({Role.MEMBER, Role.ADMIN})),
    "kr_inactive": Viewer(KR, is_active=False),
}
LATER = NOW + timedelta(days=3)
EARLIER = NOW - timedelta(days=3)
CONTENT = {
    "public": Content("public"),
    "network": Content("network"),
    "kr_uk": Content("institutes", allowed_institute_ids=[UK]),
    "kr_only": Content("institutes"),
    "public_embargoed": Content("public", embargo_until=LATER),
    "kr_uk_embargoed": Content("institutes", embargo_until=LATER, allowed_institute_ids=[UK]),
    "public_embargo_over": Content("public", embargo_until=EARLIER),
}
# Who sees what: the whole matrix, written out.
SEES = {
    "public": {"anonymous", "kr_member", "uk_member", "jp_member", "jp_admin", "kr_inactive"},
    "network": {"kr_member", "uk_member", "jp_member", "jp_admin"},
    "kr_uk": {"kr_member", "uk_member"},
    "kr_only": {"kr_member"},
    "public_embargoed": {"kr_member"},
    "kr_uk_embargoed": {"kr_member"},
    "public_embargo_over": {
        "anonymous",
        "kr_member",
        "uk_member",
        "jp_member",
        "jp_admin",
        "kr_inactive",
    },
}


@pytest.mark.parametrize("content", sorted(CONTENT))
@pytest.mark.parametrize("viewer", sorted(VIEWERS))
def test_can_view_matrix(content, viewer):
    expected = viewer in SEES[content]
    assert access.can_view(VIEWERS[viewer], CONTENT[content], now=NOW) is expected


@pytest.mark.parametrize("content", sorted(CONTENT))
@pytest.mark.parametrize("viewer", sorted(VIEWERS))
def test_search_tokens_agree_with_can_view(content, viewer):
    """A search filter on ACL tokens must give exactly the answer of can_view."""
    tokens = access.acl_tokens(VIEWERS[viewer])
    document = access.object_tokens(CONTENT[content], now=NOW)
    assert bool(tokens & document) is access.can_view(VIEWERS[viewer], CONTENT[content], now=NOW)


@pytest.mark.parametrize("content", sorted(CONTENT))
@pytest.mark.parametrize("viewer", sorted(VIEWERS))
def test_only_the_owner_institute_edits(content, viewer):
    expected = viewer == "kr_member"
    assert access.can_edit(VIEWERS[viewer], CONTENT[content], now=NOW) is expected


def test_admins_get_no_blanket_read_right():
    assert not access.can_view(VIEWERS["jp_admin"], CONTENT["kr_only"], now=NOW)
    assert access.can_administer(VIEWERS["jp_admin"])


def test_tokens():
    assert access.acl_tokens(VIEWERS["anonymous"]) == {"public"}
    assert access.acl_tokens(VIEWERS["uk_member"]) == {"public", "network", "inst:2"}
    assert access.acl_tokens(None) == {"public"}


@pytest.mark.parametrize(
    ("viewer", "institute", "expected"),
    [
        (Viewer(KR, frozenset({Role.MEMBER, Role.COORDINATOR})), KR, True),
        (Viewer(KR, frozenset({Role.MEMBER, Role.COORDINATOR})), UK, False),
        (Viewer(KR, frozenset({Role.MEMBER, Role.REVIEWER})), KR, False),
        (Viewer(KR), KR, False),
        (Viewer(JP, frozenset({Role.MEMBER, Role.ADMIN})), KR, True),
        (Viewer(KR, frozenset({Role.MEMBER, Role.COORDINATOR}), is_active=False), KR, False),
        (AnonymousUserMixin(), KR, False),
    ],
)
def test_can_manage_institute(viewer, institute, expected):
    assert access.can_manage_institute(viewer, institute) is expected


def test_grantable_roles():
    admin = Viewer(KR, frozenset({Role.MEMBER, Role.ADMIN}))
    coordinator = Viewer(KR, frozenset({Role.MEMBER, Role.COORDINATOR}))
    assert Role.ADMIN in access.grantable_roles(admin)
    assert access.grantable_roles(coordinator) == (Role.COORDINATOR, Role.REVIEWER)
    assert access.grantable_roles(Viewer(KR)) == ()
