import datetime as dt

import pytest
from django.utils import timezone

from cases.models import AuditEvent, FoundReport, Notification, Photo, User
from cases.records.limits import DailyLimitReached
from cases.records.services import PhotoUpload, report_create
from tests.factories import FoundReportFactory, UserFactory
from tests.support.data import image_bytes

pytestmark = pytest.mark.django_db

REPORT = {
    "found_on": "2025-06-01",
    "found_place": "Shelter",
    "estimated_age_min": 6,
    "estimated_age_max": 9,
    "sex": "male",
}


def _file(user: User, ref: str, photos: int = 0) -> FoundReport:
    uploads = [PhotoUpload(data=image_bytes()) for _ in range(photos)]
    report, _ = report_create(user=user, photos=uploads, external_ref=ref, **REPORT)
    return report


def test_organisation_override_caps_new_reports_per_day(partner):
    partner.organisation.daily_report_limit = 2
    partner.organisation.save()
    _file(partner, "A")
    _file(partner, "B")

    with pytest.raises(DailyLimitReached) as excinfo:
        _file(partner, "C")

    assert excinfo.value.limit == 2
    assert FoundReport.objects.count() == 2


def test_setting_caps_reports_when_there_is_no_override(partner, settings):
    settings.DAILY_REPORT_LIMIT = 1
    _file(partner, "A")
    with pytest.raises(DailyLimitReached):
        _file(partner, "B")


def test_yesterdays_reports_do_not_count_against_today(partner, settings):
    settings.DAILY_REPORT_LIMIT = 1
    old = FoundReportFactory(created_by=partner)
    FoundReport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1, hours=1)
    )
    _file(partner, "A")


def test_a_retry_of_an_existing_report_is_answered_even_at_the_limit(partner, settings):
    settings.DAILY_REPORT_LIMIT = 1
    first = _file(partner, "A")
    assert _file(partner, "A") == first


def test_photo_limit_refuses_the_whole_upload_and_stores_nothing(partner, settings):
    settings.DAILY_PHOTO_LIMIT = 2
    _file(partner, "A", photos=1)
    with pytest.raises(DailyLimitReached):
        _file(partner, "B", photos=2)
    assert Photo.objects.count() == 1
    assert not FoundReport.objects.filter(external_ref="B").exists()


def test_api_answers_429_daily_limit_reached(api_for, partner):
    partner.organisation.daily_report_limit = 0
    partner.organisation.save()

    response = api_for(partner).post(
        "/api/v1/found-reports/", {**REPORT, "external_ref": "X"}, format="multipart"
    )

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "daily_limit_reached" and body["limit"] == 0
    assert int(response["Retry-After"]) > 0


def test_a_surge_is_flagged_to_every_operator_once_a_day(partner, settings):
    settings.SURGE_FLOOR = 3
    settings.SURGE_FACTOR = 3.0
    operators = [UserFactory(organisation=None, role=User.Role.OPERATOR) for _ in range(2)]
    # Fourteen quiet days: 7 reports, an average of 0.5 a day.
    for i in range(7):
        report = FoundReportFactory(created_by=partner)
        FoundReport.objects.filter(pk=report.pk).update(
            created_at=timezone.now() - dt.timedelta(days=2 * i + 1)
        )

    for ref in ("A", "B"):
        _file(partner, ref)
    assert not AuditEvent.objects.filter(action="organisation.surge").exists()
    for ref in ("C", "D", "E"):
        _file(partner, ref)

    surge = AuditEvent.objects.get(action="organisation.surge")
    assert surge.organisation == partner.organisation
    assert surge.data["kind"] == "report" and surge.data["today"] == 3
    for operator in operators:
        assert Notification.objects.filter(user=operator, message__startswith="Surge").count() == 1
    assert not Notification.objects.filter(user=partner).exists()


def test_an_ordinary_busy_day_is_not_a_surge(partner, settings):
    settings.SURGE_FLOOR = 3
    for i in range(28):
        report = FoundReportFactory(created_by=partner)
        FoundReport.objects.filter(pk=report.pk).update(
            created_at=timezone.now() - dt.timedelta(days=i % 14 + 1)
        )
    for ref in ("A", "B", "C", "D"):
        _file(partner, ref)
    assert not AuditEvent.objects.filter(action="organisation.surge").exists()
