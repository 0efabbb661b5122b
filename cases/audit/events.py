"""The audit event registry: every action name the trail may hold, once, with its words.

`audit_record` refuses a name that is not registered here, so a typo fails in tests rather
than leaving an event nobody can find. The case timeline and the audit log both read the
words from here. Register a new action next to its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuditEventType:
    name: str
    # What happened, in words for caseworkers and org admins.
    words: str
    # Shown on a case's timeline (views and housekeeping are left out).
    on_timeline: bool = False


AUDIT_EVENTS: dict[str, AuditEventType] = {}


def audit_event_register(name: str, words: str, *, on_timeline: bool = False) -> str:
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
    """Words for a stored name; old rows with a name no longer registered show the name."""
    event = AUDIT_EVENTS.get(name)
    return event.words if event else name


def timeline_event_names() -> list[str]:
    return [e.name for e in AUDIT_EVENTS.values() if e.on_timeline]


_ = audit_event_register
# Access: sign-in, second factor, organisations, users, API keys.
_("auth.login", "Signed in")
_("auth.logout", "Signed out")
_("auth.login_failed", "Sign-in failed")
_("auth.second_factor_enrolled", "Second factor set up")
_("auth.second_factor_verified", "Second factor checked")
_("auth.second_factor_failed", "Wrong second-factor code")
_("organisation.approved", "Organisation approved")
_("organisation.paused", "Organisation paused")
_("organisation.resumed", "Organisation resumed")
_("organisation.contact_updated", "Organisation's contact for confirmed matches changed")
_("organisation.field_capture_updated", "Organisation's rules for drafts kept on devices changed")
_("organisation.surge", "Unusual volume flagged to operators")
_("user.role_changed", "User's role changed")
_("user.invited", "User invited by e-mail")
_("user.invitation_accepted", "Invitation accepted: password set")
_("user.deactivated", "User deactivated")
_("user.reactivated", "User reactivated")
_("user.second_factor_reset", "User's second factor reset")
_("user.password_reset_requested", "Password reset link e-mailed")
_("user.password_reset", "Password reset from an e-mailed link")
_("user.language_changed", "User's language changed")
# An operator's account change at the console, and a second operator's approval of it.
_("account_change.requested", "Account change asked for by an operator (needs a second)")
_("account_change.approved", "Account change approved by a second operator")
# /admin/: the few writes it allows, with each changed field's value before and after.
_("admin.added", "Record added in the operators' admin")
_("admin.changed", "Record changed in the operators' admin")
# Superusers are break-glass only: each of their requests is a record.
_("superuser.request", "Request made by a superuser (break-glass)")
_("apikey.created", "API key created")
_("apikey.rotated", "API key rotated")
_("apikey.revoked", "API key revoked")
_("audit.exported", "Audit log exported")
_("notification.read", "Notification marked as read")
# Records.
_("case.created", "Case registered", on_timeline=True)
_("case.updated", "Case details edited", on_timeline=True)
_("case.closed", "Case closed", on_timeline=True)
_(
    "case.closed_match_seen",
    "A new found-child report resembles this closed case's child; no reviewer was asked",
    on_timeline=True,
)
_("report.created", "Found report filed")
_("report.updated", "Found report edited")
_("report.withdrawn", "Found report withdrawn")
_("report.outcome_sent", "Outcome sent to the filing organisation")
_("notification.emailed", "Notification e-mailed to the user")
_("photo.added", "Photo added", on_timeline=True)
_("photo.removed", "A wrong photo removed (file, faces and face templates)", on_timeline=True)
_("photo.viewed", "Photo viewed")
# A record's page, with its photo thumbnails, is one view (full photos are audited apart).
_("case.viewed", "Case page viewed")
_("case.summary_printed", "Case summary printed (PDF with its photos)", on_timeline=True)
_("report.viewed", "Found report page viewed")
# Aggregates only (counts, waits, rates), but a programme's shape is sensitive too.
_("programme.viewed", "Programme figures viewed")
_("photo.rejected", "Photo rejected", on_timeline=True)
_(
    "photo.set_aside",
    "A wrong photo set aside; its possible matches re-scored without it",
    on_timeline=True,
)
_(
    "photo.needs_face_selection",
    "Photo has several faces: waiting for the child's face",
    on_timeline=True,
)
_("photo.face_selected", "Child's face chosen in a photo", on_timeline=True)
_("photo.face_drawn", "Child's face outlined by hand in a photo", on_timeline=True)
# Safeguards.
_("case.consent_withdrawn", "Guardian withdrew consent", on_timeline=True)
_("case.erased", "Case's biometric and personal data erased", on_timeline=True)
_("report.erased", "Report's biometric and personal data erased")
_("legal_hold.placed", "Legal hold placed")
_("legal_hold.lifted", "Legal hold lifted")
_("storage.orphans_removed", "Photo files no record pointed to were removed")
_("storage.files_missing", "Photo records whose file is missing were found")
_("backup.created", "Backup of the database and photo files written")
_("backup.restored", "Database and photo files restored from a backup")
_("storage.key_rotation_started", "Re-encrypting photo files with a new key started")
_("storage.key_rotated", "A batch of photo files re-encrypted with the new key")
_("storage.key_rotation_finished", "Every photo file is encrypted with the current key")
# Partners.
_("webhook.created", "Webhook registered")
_("webhook.disabled", "Webhook disabled")
_("pfif.exported", "Case exported as a PFIF record", on_timeline=True)
_("pfif.imported", "PFIF records imported")
# Matching and review.
_("embedding.created", "Face template made from a photo")
_("search.run", "Search run for a face")
_("generation.build_started", "Re-embedding every photo into a new face model started")
_("generation.switched", "Matching switched to a new face model")
_("generation.abandoned", "Re-embedding into a new face model abandoned")
_("candidate.created", "Possible match found: sent to reviewers", on_timeline=True)
_("candidate.updated", "Possible match updated with new evidence")
_("candidate.compatibility_changed", "Possible match re-checked after details changed")
_("candidate.viewed", "Possible match viewed by a reviewer")
_("candidate.decision.confirm", "A reviewer said: same child", on_timeline=True)
_("candidate.decision.reject", "A reviewer said: not the same child", on_timeline=True)
_("candidate.decision.unsure", "A reviewer said: needs more information", on_timeline=True)
_("candidate.confirmed", "Two reviewers confirmed a possible match", on_timeline=True)
_(
    "candidate.confirmed_after_dispute",
    "Reviewers disagreed; a senior reviewer confirmed a possible match",
    on_timeline=True,
)
# Duplicate registrations: the same child registered twice (matching/candidates/duplicates.py).
_("duplicate.created", "Possibly the same child as another record")
_("duplicate.decision.same", "A caseworker said: same child (records linked)")
_("duplicate.decision.different", "A caseworker said: different children")
_("candidate.withdrawn", "Possible match withdrawn by an operator", on_timeline=True)
_("candidate.resolved.confirm", "A senior reviewer's final decision: same child", on_timeline=True)
_(
    "candidate.resolved.reject",
    "A senior reviewer's final decision: not the same child",
    on_timeline=True,
)
# Reunification: what the case owner did after a confirmation.
_(
    "reunification.contact_made",
    "Contact made with the found child's organisation",
    on_timeline=True,
)
_("reunification.verification_planned", "In-person verification planned", on_timeline=True)
_("reunification.verified_same", "Verified in person: the same child", on_timeline=True)
_(
    "reunification.verified_not_same",
    "Verified in person: not the same child; both records back in matching",
    on_timeline=True,
)
_("reunification.reunited", "Reunited with the family", on_timeline=True)
_("reunification.handed_to_authority", "Handed to the authority responsible", on_timeline=True)
del _
