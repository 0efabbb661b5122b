import datetime as dt
import io

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from cases.audit.trail import audit_verify
from cases.models import AuditEvent, FoundReport, MissingCase, Photo
from cases.safeguards.retention import case_close, legal_hold_place, retention_sweep_batch
from cases.safeguards.tasks import retention_sweep_task
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.factories import UserFactory
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db

SEED = iter(range(1000, 2000))


def _closed_case(user, *, days_ago: int) -> MissingCase:
    face = ready_photo_with_embedding(user=user, seed=next(SEED), side="case")
    case = face.photo.case
    MissingCase.objects.filter(pk=case.pk).update(
        status=MissingCase.Status.REUNITED, closed_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    case.refresh_from_db()
    return case


def _old_report(user, *, days_ago: int) -> FoundReport:
    face = ready_photo_with_embedding(user=user, seed=next(SEED), side="report")
    report = face.photo.found_report
    FoundReport.objects.filter(pk=report.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return report


def _status(obj) -> str:
    return type(obj).objects.get(pk=obj.pk).status


def test_closed_case_is_erased_after_the_retention_period_and_not_before(caseworker):
    due = _closed_case(caseworker, days_ago=31)
    recent = _closed_case(caseworker, days_ago=29)

    erased, more = retention_sweep_batch(batch_size=10)

    assert (erased, more) == (1, False)
    assert _status(due) == MissingCase.Status.ERASED
    assert not Photo.objects.filter(case=due).exists()
    assert _status(recent) == MissingCase.Status.REUNITED
    assert AuditEvent.objects.get(action="case.erased").data["reason"] == "retention period ended"
    assert audit_verify()[1] is None


def test_retention_period_comes_from_the_setting(caseworker, settings):
    settings.CASE_RETENTION_DAYS = 5
    case = _closed_case(caseworker, days_ago=6)
    retention_sweep_batch(batch_size=10)
    assert _status(case) == MissingCase.Status.ERASED


def test_open_case_is_never_erased_by_retention(caseworker):
    face = ready_photo_with_embedding(user=caseworker, seed=next(SEED), side="case")
    MissingCase.objects.filter(pk=face.photo.case_id).update(
        created_at=timezone.now() - dt.timedelta(days=3000)
    )
    assert retention_sweep_batch(batch_size=10) == (0, False)


def test_a_legal_hold_keeps_a_case_from_retention(caseworker):
    case = _closed_case(caseworker, days_ago=100)
    operator = UserFactory(organisation=None, role="operator")
    legal_hold_place(actor=operator, obj=case, reason="Police investigation 7781")

    assert retention_sweep_batch(batch_size=10) == (0, False)
    assert _status(case) == MissingCase.Status.REUNITED


def test_old_report_is_erased_unless_a_candidate_is_open(caseworker, partner, settings):
    settings.CANDIDATE_THRESHOLD = 0.925
    lonely = _old_report(partner, days_ago=400)
    matched = _old_report(partner, days_ago=400)
    young = _old_report(partner, days_ago=300)
    case_face = ready_photo_with_embedding(user=caseworker, seed=next(SEED), side="case")
    report_face = matched.photos.get().faces.get()
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.97)

    retention_sweep_batch(batch_size=10)

    assert _status(lonely) == FoundReport.Status.ERASED
    assert _status(matched) == FoundReport.Status.ACTIVE
    assert _status(young) == FoundReport.Status.ACTIVE

    Candidate.objects.update(status=Candidate.Status.CONFIRMED)
    retention_sweep_batch(batch_size=10)
    assert _status(matched) == FoundReport.Status.ERASED
    assert not Candidate.objects.exists()


def test_sweep_task_requeues_itself_until_the_backlog_is_done(caseworker, settings):
    settings.RETENTION_BATCH_SIZE = 2
    cases = [_closed_case(caseworker, days_ago=40) for _ in range(5)]

    retention_sweep_task.delay()  # eager: each batch queues the next

    assert {_status(c) for c in cases} == {MissingCase.Status.ERASED}


def test_sweep_runs_daily_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["retention-sweep"]
    assert entry["task"] == "cases.safeguards.tasks.retention_sweep_task"
    assert retention_sweep_task.name == "cases.safeguards.tasks.retention_sweep_task"


def test_caseworker_closes_a_case_and_closed_at_is_recorded(caseworker):
    face = ready_photo_with_embedding(user=caseworker, seed=next(SEED), side="case")
    case = face.photo.case

    case = case_close(user=caseworker, case=case, outcome="reunited")

    assert case.status == MissingCase.Status.REUNITED and case.closed_at
    assert AuditEvent.objects.get(action="case.closed").data["outcome"] == "reunited"


def test_another_organisation_may_not_close_a_case(caseworker):
    face = ready_photo_with_embedding(user=caseworker, seed=next(SEED), side="case")
    outsider = UserFactory(role="caseworker")
    with pytest.raises(PermissionDenied):
        case_close(user=outsider, case=face.photo.case, outcome="closed")


def test_only_operators_place_legal_holds(caseworker):
    case = _closed_case(caseworker, days_ago=1)
    with pytest.raises(PermissionDenied):
        legal_hold_place(actor=caseworker, obj=case, reason="x")


def test_legal_hold_command_places_and_lifts_with_a_reason(caseworker):
    case = _closed_case(caseworker, days_ago=100)

    call_command(
        "legal_hold", "place", case.reference, "--reason", "Court order", stdout=io.StringIO()
    )
    case.refresh_from_db()
    assert case.legal_hold_at and case.legal_hold_reason == "Court order"

    call_command(
        "legal_hold", "lift", case.reference, "--reason", "Case closed", stdout=io.StringIO()
    )
    case.refresh_from_db()
    assert case.legal_hold_at is None
    lifted = AuditEvent.objects.get(action="legal_hold.lifted")
    assert lifted.data == {"reason": "Case closed", "was_held_for": "Court order"}
