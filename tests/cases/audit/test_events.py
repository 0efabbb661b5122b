"""The audit event registry: one list of names, with the words people read."""

import pytest

from cases.audit.events import AUDIT_EVENTS, audit_event_words, timeline_event_names
from cases.audit.trail import audit_record
from cases.models import AuditEvent
from cases.records.selectors import case_timeline
from cases.templatetags.audit import audit_words
from tests.factories import MissingCaseFactory

pytestmark = pytest.mark.django_db


def test_an_unregistered_action_is_refused_and_nothing_is_written(caseworker):
    with pytest.raises(ValueError, match="Unregistered audit event"):
        audit_record(actor=caseworker, action="case.craeted", obj=caseworker)
    assert not AuditEvent.objects.exists()


def test_every_registered_event_has_words():
    assert all(event.words and event.words != name for name, event in AUDIT_EVENTS.items())


def test_the_timeline_and_the_audit_log_read_the_same_words(caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    event = audit_record(actor=caseworker, action="case.created", obj=case)
    audit_record(actor=caseworker, action="case.viewed", obj=case)  # not on the timeline

    timeline = case_timeline(case=case)

    assert [row["what"] for row in timeline] == [audit_event_words("case.created")]
    assert audit_words(event.action) == "Case registered"
    assert "case.viewed" not in timeline_event_names()
    # Closing and withdrawing consent are.
    assert {"case.closed", "case.consent_withdrawn"} <= set(timeline_event_names())


def test_a_stored_name_no_longer_registered_shows_as_itself():
    assert audit_event_words("retired.action") == "retired.action"
