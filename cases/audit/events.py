"""The audit event registry: every action name the trail may hold, once, with its words.

`audit_record` refuses a name that is not registered here, so a typo fails in tests rather
than leaving an event nobody can find. The case timeline and the audit log both read the
words from here. Register a new action next to its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class AuditEventType:
    name: str
    # What happened, in words for caseworkers and org admins (translated when read).
    words: str | Promise
    # Shown on a case's timeline (views and housekeeping are left out).
    on_timeline: bool = False


AUDIT_EVENTS: dict[str, AuditEventType] = {}


def audit_event_register(name: str, words: str | Promise, *, on_timeline: bool = False) -> str:
    if name in AUDIT_EVENTS:
        raise ValueError(f"Audit event {name!r} is registered twice.")
    AUDIT_EVENTS[name] = AuditEventType(name=name, words=words, on_timeline=on_timeline)
    return name


def audit_event_get(name: str) -> AuditEventType:
    try:
        return AUDIT_EVENTS[name]
    except KeyError as exc:
        raise ValueError(
            f"Unregistered audit event {name!r}: add it to cases/audit/events.py."
        ) from exc


def audit_event_words(name: str) -> str:
    """Words for a stored name, in the active language; old rows with a name no longer
    registered show the name."""
    event = AUDIT_EVENTS.get(name)
    return str(event.words) if event else name


def timeline_event_names() -> list[str]:
    return [e.name for e in AUDIT_EVENTS.values() if e.on_timeline]


# The words are marked for translation and rendered in the reader's language; the trail
# stores only the name.
register = audit_event_register
# Access: sign-in, second factor, organisations, users, API keys.
register("auth.login", _("Signed in"))
register("auth.logout", _("Signed out"))
register("auth.login_failed", _("Sign-in failed"))
register("auth.second_factor_enrolled", _("Second factor set up"))
register("auth.second_factor_verified", _("Second factor checked"))
register("auth.second_factor_failed", _("Wrong second-factor code"))
register("organisation.approved", _("Organisation approved"))
register("organisation.paused", _("Organisation paused"))
register("organisation.resumed", _("Organisation resumed"))
register("organisation.contact_updated", _("Organisation's contact for confirmed matches changed"))
register(
    "organisation.field_capture_updated",
    _("Organisation's rules for drafts kept on devices changed"),
)
register("organisation.surge", _("Unusual volume flagged to operators"))
register("user.role_changed", _("User's role changed"))
register("user.invited", _("User invited by e-mail"))
register("user.invitation_accepted", _("Invitation accepted: password set"))
register("user.deactivated", _("User deactivated"))
register("user.reactivated", _("User reactivated"))
register("user.second_factor_reset", _("User's second factor reset"))
register("user.password_reset_requested", _("Password reset link e-mailed"))
register("user.password_reset", _("Password reset from an e-mailed link"))
register("user.language_changed", _("User's language changed"))
# An operator's account change at the console, and a second operator's approval of it.
register("account_change.requested", _("Account change asked for by an operator (needs a second)"))
register("account_change.approved", _("Account change approved by a second operator"))
# /admin/: the few writes it allows, with each changed field's value before and after.
register("admin.added", _("Record added in the operators' admin"))
register("admin.changed", _("Record changed in the operators' admin"))
# Superusers are break-glass only: each of their requests is a record.
register("superuser.request", _("Request made by a superuser (break-glass)"))
register("apikey.created", _("API key created"))
register("apikey.rotated", _("API key rotated"))
register("apikey.revoked", _("API key revoked"))
register("audit.exported", _("Audit log exported"))
register("notification.read", _("Notification marked as read"))
# Records.
register("case.created", _("Case registered"), on_timeline=True)
register("case.updated", _("Case details edited"), on_timeline=True)
register("case.closed", _("Case closed"), on_timeline=True)
register(
    "case.closed_match_seen",
    _("A new found-child report resembles this closed case's child; no reviewer was asked"),
    on_timeline=True,
)
register("report.created", _("Found report filed"))
register("report.updated", _("Found report edited"))
register("report.withdrawn", _("Found report withdrawn"))
register("report.outcome_sent", _("Outcome sent to the filing organisation"))
register("notification.emailed", _("Notification e-mailed to the user"))
register("photo.added", _("Photo added"), on_timeline=True)
register(
    "photo.removed", _("A wrong photo removed (file, faces and face templates)"), on_timeline=True
)
register("photo.viewed", _("Photo viewed"))
# A record's page, with its photo thumbnails, is one view (full photos are audited apart).
register("case.viewed", _("Case page viewed"))
register("case.summary_printed", _("Case summary printed (PDF with its photos)"), on_timeline=True)
register("report.viewed", _("Found report page viewed"))
# Aggregates only (counts, waits, rates), but a programme's shape is sensitive too.
register("programme.viewed", _("Programme figures viewed"))
register("photo.rejected", _("Photo rejected"), on_timeline=True)
register(
    "photo.set_aside",
    _("A wrong photo set aside; its possible matches re-scored without it"),
    on_timeline=True,
)
register(
    "photo.needs_face_selection",
    _("Photo has several faces: waiting for the child's face"),
    on_timeline=True,
)
register("photo.face_selected", _("Child's face chosen in a photo"), on_timeline=True)
register("photo.face_drawn", _("Child's face outlined by hand in a photo"), on_timeline=True)
# Safeguards.
register("case.consent_withdrawn", _("Guardian withdrew consent"), on_timeline=True)
register("case.erased", _("Case's biometric and personal data erased"), on_timeline=True)
register("report.erased", _("Report's biometric and personal data erased"))
register("legal_hold.placed", _("Legal hold placed"))
register("legal_hold.lifted", _("Legal hold lifted"))
register("storage.orphans_removed", _("Photo files no record pointed to were removed"))
register("storage.files_missing", _("Photo records whose file is missing were found"))
register("backup.created", _("Backup of the database and photo files written"))
register("backup.restored", _("Database and photo files restored from a backup"))
register("storage.key_rotation_started", _("Re-encrypting photo files with a new key started"))
register("storage.key_rotated", _("A batch of photo files re-encrypted with the new key"))
register("storage.key_rotation_finished", _("Every photo file is encrypted with the current key"))
# Partners.
register("webhook.created", _("Webhook registered"))
register("webhook.disabled", _("Webhook disabled"))
register("pfif.exported", _("Case exported as a PFIF record"), on_timeline=True)
register("pfif.imported", _("PFIF records imported"))
# Matching and review.
register("embedding.created", _("Face template made from a photo"))
register("search.run", _("Search run for a face"))
register("generation.build_started", _("Re-embedding every photo into a new face model started"))
register("generation.switched", _("Matching switched to a new face model"))
register("generation.abandoned", _("Re-embedding into a new face model abandoned"))
register("candidate.created", _("Possible match found: sent to reviewers"), on_timeline=True)
register("candidate.updated", _("Possible match updated with new evidence"))
register("candidate.compatibility_changed", _("Possible match re-checked after details changed"))
register("candidate.viewed", _("Possible match viewed by a reviewer"))
register("candidate.decision.confirm", _("A reviewer said: same child"), on_timeline=True)
register("candidate.decision.reject", _("A reviewer said: not the same child"), on_timeline=True)
register(
    "candidate.decision.unsure", _("A reviewer said: needs more information"), on_timeline=True
)
register("candidate.confirmed", _("Two reviewers confirmed a possible match"), on_timeline=True)
register(
    "candidate.confirmed_after_dispute",
    _("Reviewers disagreed; a senior reviewer confirmed a possible match"),
    on_timeline=True,
)
# Duplicate registrations: the same child registered twice (matching/candidates/duplicates.py).
register("duplicate.created", _("Possibly the same child as another record"))
register("duplicate.decision.same", _("A caseworker said: same child (records linked)"))
register("duplicate.decision.different", _("A caseworker said: different children"))
register("candidate.withdrawn", _("Possible match withdrawn by an operator"), on_timeline=True)
register(
    "candidate.resolved.confirm",
    _("A senior reviewer's final decision: same child"),
    on_timeline=True,
)
register(
    "candidate.resolved.reject",
    _("A senior reviewer's final decision: not the same child"),
    on_timeline=True,
)
# Reunification: what the case owner did after a confirmation.
register(
    "reunification.contact_made",
    _("Contact made with the found child's organisation"),
    on_timeline=True,
)
register(
    "reunification.verification_planned", _("In-person verification planned"), on_timeline=True
)
register("reunification.verified_same", _("Verified in person: the same child"), on_timeline=True)
register(
    "reunification.verified_not_same",
    _("Verified in person: not the same child; both records back in matching"),
    on_timeline=True,
)
register("reunification.reunited", _("Reunited with the family"), on_timeline=True)
register(
    "reunification.handed_to_authority", _("Handed to the authority responsible"), on_timeline=True
)
del register
