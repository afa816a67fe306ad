"""Wiki services: append-only revisions, compare-and-swap saves with merge, revert, rename,
sign-off, translations and watchers."""

import pytest
from sqlalchemy import select

from exchange.accounts.errors import ServiceError
from exchange.accounts.models import User
from exchange.extensions import db
from exchange.notifications.models import Notification
from exchange.wiki import services
from exchange.wiki.models import Page, PageLink, Revision, SlugRedirect, Watch

BASE = "# Title\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n"


def get(model, ident):
    return db.session.get(model, ident)


def save(user, page_id, base_id, source, title=None, **kw):
    page = get(Page, page_id)
    return services.save_page(
        get(User, user.id),
        page,
        base_revision_id=base_id,
        title=title or page.title,
        source=source,
        **kw,
    )


def revisions(page_id):
    return db.session.scalars(
        select(Revision).where(Revision.page_id == page_id).order_by(Revision.number)
    ).all()


def test_create_renders_once_and_records_links(app, people, make_page):
    page = make_page(people.kr, "alpha", "See [[beta]] and [[gamma|G]].\n\n# Head\n")
    with app.app_context():
        [revision] = revisions(page.id)
        assert revision.number == 1 and revision.kind == "create"
        assert 'data-wikilink="beta"' in revision.html
        links = set(db.session.scalars(select(PageLink.target_slug)))
        assert links == {"beta", "gamma"}


def test_unchanged_text_makes_no_revision_and_edits_append(app, people, make_page):
    page = make_page(people.kr, "alpha", BASE)
    with app.app_context():
        first = get(Page, page.id).current_revision_id
        assert save(people.kr, page.id, first, BASE.replace("\n", "\r\n")).status == "unchanged"
        result = save(people.kr, page.id, first, BASE + "\nMore.\n", summary="more")
        assert result.status == "saved" and result.revision.number == 2
        assert [r.number for r in revisions(page.id)] == [1, 2]
        assert revisions(page.id)[0].source == BASE  # the old revision is untouched


def test_revisions_refuse_updates(app, people, make_page):
    page = make_page(people.kr, "alpha", BASE)
    with app.app_context():
        revision = revisions(page.id)[0]
        revision.source = "tampered"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()


def test_concurrent_non_overlapping_edits_merge_for_confirmation(app, people, make_page):
    page = make_page(people.kr, "alpha", BASE)
    with app.app_context():
        base = get(Page, page.id).current_revision_id
        first = save(people.kr, page.id, base, BASE.replace("First", "FIRST (KR)"))
        assert first.status == "saved"
        second = save(people.kr2, page.id, base, BASE.replace("Third", "THIRD (UK)"))
        assert second.status == "merged"
        assert "FIRST (KR)" in second.merged_text and "THIRD (UK)" in second.merged_text
        assert second.theirs.id == first.revision.id
        assert len(revisions(page.id)) == 2  # nothing saved until the user confirms
        confirmed = save(people.kr2, page.id, second.theirs.id, second.merged_text)
        assert confirmed.status == "saved"
        final = get(Page, page.id).current_revision.source
        assert "FIRST (KR)" in final and "THIRD (UK)" in final


def test_overlapping_edits_conflict_and_keep_both_texts(app, people, make_page):
    page = make_page(people.kr, "alpha", BASE)
    with app.app_context():
        base = get(Page, page.id).current_revision_id
        save(people.kr, page.id, base, BASE.replace("Second paragraph.", "Second: KR wording."))
        mine = BASE.replace("Second paragraph.", "Second: UK wording.")
        result = save(people.kr2, page.id, base, mine)
        assert result.status == "conflict" and result.merged_text is None
        assert "KR wording" in result.theirs.source
        assert get(Page, page.id).current_revision.source.count("KR wording") == 1
        # The user resolves and saves against the newer revision: both survive.
        resolved = mine.replace("UK wording.", "UK wording. KR wording.")
        assert save(people.kr2, page.id, result.theirs.id, resolved).status == "saved"


def test_revert_creates_a_new_revision(app, people, make_page):
    page = make_page(people.kr, "alpha", BASE)
    with app.app_context():
        base = get(Page, page.id).current_revision_id
        save(people.kr, page.id, base, "Vandalised.\n")
        first = revisions(page.id)[0]
        new = services.revert(get(User, people.kr.id), get(Page, page.id), first)
        assert new.number == 3 and new.kind == "revert" and new.source == BASE
        assert [r.number for r in revisions(page.id)] == [1, 2, 3]


def test_only_the_owner_institute_edits(app, people, make_page):
    page = make_page(people.kr, "alpha", BASE)
    with app.app_context():
        base = get(Page, page.id).current_revision_id
        with pytest.raises(ServiceError):
            save(people.uk, page.id, base, "UK text\n")


def test_rename_redirects_and_updates_links(app, people, make_page):
    target = make_page(people.kr, "old-name", BASE)
    make_page(people.kr, "linker", "Go to [[old-name]].\n")
    with app.app_context():
        services.rename(get(User, people.kr.id), get(Page, target.id), "New Name")
        assert get(Page, target.id).slug == "new-name"
        assert get(SlugRedirect, "old-name").page_id == target.id
        assert set(db.session.scalars(select(PageLink.target_slug))) == {"new-name"}
        page, redirected = services.find_page("old-name")
        assert page.id == target.id and redirected
        with pytest.raises(ServiceError):
            services.create_page(
                get(User, people.kr.id),
                "old-name",
                services.PageFields("X", "guide", "en", "network", [], None, []),
                "x",
            )


def test_slugs_are_unique(app, people, make_page):
    make_page(people.kr, "alpha")
    with pytest.raises(ServiceError):
        make_page(people.uk, "Alpha")


def test_sign_off_reviewed_then_endorsed_by_the_owner_institute(app, people, make_page):
    page = make_page(people.kr, "finding", BASE, kind="finding")
    with app.app_context():
        kr2 = get(User, people.kr2.id)
        with pytest.raises(ServiceError, match="reviewed before"):
            services.sign_off(kr2, get(Page, page.id), "endorsed")
        with pytest.raises(ServiceError):
            services.sign_off(get(User, people.uk.id), get(Page, page.id), "reviewed")
        services.sign_off(kr2, get(Page, page.id), "reviewed")
        assert get(Page, page.id).review_status == "reviewed"
        services.sign_off(get(User, people.kr.id), get(Page, page.id), "endorsed")
        assert get(Page, page.id).review_status == "endorsed"


def test_translation_is_flagged_when_the_source_moves_on(app, people, make_page):
    source = make_page(people.kr, "source-en", BASE)
    translation = make_page(people.kr, "source-ko", "번역\n", language="ko", translation_of=source)
    with app.app_context():
        assert not services.translation_is_stale(get(Page, translation.id))
        base = get(Page, source.id).current_revision_id
        save(people.kr, source.id, base, BASE + "\nNew.\n")
        assert services.translation_is_stale(get(Page, translation.id))
        tbase = get(Page, translation.id).current_revision_id
        save(people.kr, translation.id, tbase, "번역 갱신\n", translation_in_sync=True)
        assert not services.translation_is_stale(get(Page, translation.id))


def test_watchers_are_told_only_while_they_may_read(app, people, make_page, mailbox):
    page = make_page(
        people.kr, "alpha", BASE, visibility="institutes", institutes=[people.uk_institute]
    )
    with app.app_context():
        for user in (people.uk, people.kr2):
            db.session.add(Watch(user_id=user.id, page_id=page.id))
        db.session.add(Watch(user_id=people.jp.id, page_id=page.id))  # lost access since
        db.session.commit()
        base = get(Page, page.id).current_revision_id
        save(people.kr, page.id, base, BASE + "\nNews.\n")
        told = set(db.session.scalars(select(Notification.user_id)))
    assert told == {people.uk.id, people.kr2.id}
    from exchange.notifications.outbox import send_due

    with app.app_context():
        send_due()
    assert mailbox.to(people.uk.email) and mailbox.to(people.kr2.email)
    assert not mailbox.to(people.jp.email) and not mailbox.to(people.kr.email)
