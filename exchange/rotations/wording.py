"""Plain, honest status wording for applicants and staff, in both languages."""

from __future__ import annotations

from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l

STATE_NAMES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "home_endorsed": _l("Released by home institute"),
    "home_declined": _l("Not released by home institute"),
    "under_review": _l("Under review"),
    "offered": _l("Offered"),
    "waitlisted": _l("Waitlisted"),
    "rejected": _l("Not selected"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "offer_expired": _l("Offer expired"),
    "placed": _l("Placed"),
    "completed": _l("Completed"),
    "withdrawn": _l("Withdrawn"),
}
TRANSITION_NAMES = {
    "submit": _l("Submit the application"),
    "endorse": _l("Release (endorse)"),
    "decline_release": _l("Decline to release"),
    "start_review": _l("Start the review"),
    "offer": _l("Offer a seat"),
    "waitlist": _l("Put on the waitlist"),
    "reject": _l("Reject"),
    "accept": _l("Accept the offer"),
    "decline": _l("Decline the offer"),
    "expire": _l("Offer expired"),
    "place": _l("Start the placement"),
    "complete": _l("Mark the placement completed"),
    "withdraw": _l("Withdraw"),
}


def ordinal(n: int) -> str:
    """2 -> "2nd" in English; Korean counts plainly ("2")."""
    if str(get_locale()) == "ko":
        return str(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def applicant_status(application) -> str:
    """What the applicant reads: where things stand and what happens next."""
    state = application.state
    if state == "draft":
        return str(_l("Draft: not sent yet. Submit it before the deadline."))
    if state == "submitted":
        return str(_l("Sent: waiting for your home institute to release you."))
    if state == "home_endorsed":
        return str(_l("Released by your home institute: waiting for the host to review it."))
    if state == "home_declined":
        return str(_l("Your home institute did not release you for this program."))
    if state == "under_review":
        return str(_l("Being reviewed by the host institute."))
    if state == "offered":
        deadline = (
            format_date(application.offer_expires_at, "long")
            if application.offer_expires_at
            else "—"
        )
        return str(_l("Offered a seat: please accept or decline by %(date)s.", date=deadline))
    if state == "waitlisted":
        return str(
            _l("Waitlisted, %(rank)s in line.", rank=ordinal(application.waitlist_rank or 0))
        )
    if state == "rejected":
        return str(_l("Not selected this time."))
    if state == "accepted":
        return str(_l("You accepted: the host is arranging your placement."))
    if state == "declined":
        return str(_l("You declined the offer."))
    if state == "offer_expired":
        return str(_l("The offer expired before you answered."))
    if state == "placed":
        return str(_l("Placed: your rotation is under way."))
    if state == "completed":
        return str(_l("Completed. Thank you: please file your exit report if you have not."))
    return str(_l("You withdrew this application."))
