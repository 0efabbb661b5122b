"""Records after consent withdrawal, erasure or withdrawal: one clear page, and refusals in
words. Notifications read on opening their case; labels that say what they are."""

import pytest

from cases.models import Notification, User
from cases.records.services import PhotoUpload, photo_add
from cases.safeguards.erasure import case_consent_withdraw, report_withdraw
from tests.factories import FoundReportFactory, MissingCaseFactory, UserFactory
from tests.support.data import image_bytes
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db


def _photo(user, owner) -> None:
    photo_add(user=user, owner=owner, upload=PhotoUpload(data=image_bytes(size=(200, 200))))


def test_a_case_after_consent_withdrawal_is_one_clear_page(client, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    _photo(caseworker, case)
    case_consent_withdraw(user=caseworker, case=case, reason="Mother phoned on 1 July")
    client.force_login(caseworker)

    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "data was removed" in html
    assert "The guardian withdrew consent: “Mother phoned on 1 July”" in html
    assert "caseworker" in html  # by whom
    assert "1 photo and the stored image files" in html
    assert "Guardian withdrew consent" in html  # on the timeline
    for broken in ("None–None", "Consent: ,", "No photos yet", ">Edit<", "Add photos"):
        assert broken not in html

    for path in (f"/cases/{case.pk}/edit/", f"/cases/{case.pk}/photos/add/"):
        refused = client.post(path, {"given_name": "X"})
        assert refused.status_code == 409
        assert "its details cannot be edited and it takes no new photos" in refused.content.decode()
    case.refresh_from_db()
    assert case.given_name == ""


def test_a_withdrawn_report_is_one_clear_page_and_refuses_edits(client, caseworker):
    report = FoundReportFactory(created_by=caseworker)
    report_withdraw(user=caseworker, report=report, reason="Filed twice")
    client.force_login(caseworker)
    html = client.get(f"/reports/{report.pk}/").content.decode()
    assert "The filing organisation withdrew the report: “Filed twice”" in html
    assert "Add photos" not in html
    assert client.get(f"/reports/{report.pk}/edit/").status_code == 409
    assert client.post(f"/reports/{report.pk}/photos/add/").status_code == 409


def test_opening_a_case_reads_its_notification(client, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    note = Notification.objects.create(
        user=caseworker, message="Possible match", link=f"/cases/{case.pk}/"
    )
    other = Notification.objects.create(user=caseworker, message="Other", link="/cases/999999/")
    client.force_login(caseworker)
    client.get(f"/cases/{case.pk}/")
    note.refresh_from_db()
    other.refresh_from_db()
    assert note.read_at is not None
    assert other.read_at is None


def test_labels_say_what_they_are(client, caseworker):
    client.force_login(caseworker)
    report_form = client.get("/reports/new/").content.decode()
    assert "Estimated age (from)" in report_form and "Estimated age min" not in report_form
    assert "Age-progressed image" not in report_form
    report = FoundReportFactory(created_by=caseworker)
    assert (
        "Age-progressed image"
        not in client.get(f"/reports/{report.pk}/photos/add/").content.decode()
    )
    assert "Age-progressed image" in client.get("/cases/new/").content.decode()


def test_the_organisation_admins_dashboard_does_not_talk_of_their_cases(client, caseworker):
    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    force_login_verified(client, admin)
    html = client.get("/").content.decode()
    assert "your cases" not in html
