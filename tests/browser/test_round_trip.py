"""Every edit form, opened and saved untouched, changes nothing and shows no error."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.forms.models import model_to_dict
from playwright.sync_api import expect

from cases.models import AuditEvent, FoundReport, MissingCase, Organisation, User
from tests.factories import FoundReportFactory, MissingCaseFactory, UserFactory
from tests.support.browser import screenshot, sign_in, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [pytest.param(1366, id="desktop"), pytest.param(390, id="phone")]


def _save_untouched(page, path: str, button: str, then: str, shot: str) -> None:
    page.goto(path)
    # Every date input shows its saved value (a locale date would show blank).
    for field in page.locator("input[type=date], input[type=datetime-local]").all():
        saved = field.get_attribute("value") or ""
        assert field.input_value() == saved, f"{path}: {saved!r} is not read by the browser"
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(re.compile(then))
    expect(page.locator(".error, .error-summary")).to_have_count(0)
    screenshot(page, shot)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_record_form_saved_untouched_changes_nothing(new_page, caseworker, width):
    # The API may store a consent time with seconds; the form edits to the minute.
    with_birth = MissingCaseFactory(
        created_by=caseworker,
        date_of_birth=dt.date(2016, 4, 10),
        last_seen_on=dt.date(2025, 4, 10),
        consent_given_at=dt.datetime(2025, 4, 15, 9, 30, 12, 345, tzinfo=dt.UTC),
        description="Red coat",
    )
    with_range = MissingCaseFactory(created_by=caseworker, date_of_birth=None)
    report = FoundReportFactory(created_by=caseworker, found_on=dt.date(2025, 10, 4))
    before = {obj.pk: model_to_dict(obj) for obj in (with_birth, with_range)} | {
        ("report", report.pk): model_to_dict(report)
    }

    page = new_page(width=width, height=844 if width < 500 else 768)
    sign_in(page, "caseworker")
    for n, case in enumerate((with_birth, with_range)):
        _save_untouched(
            page,
            f"/cases/{case.pk}/edit/",
            "Save changes",
            rf"/cases/{case.pk}/$",
            f"round-trip-{width}-case-{n}",
        )
    page.goto(f"/cases/{with_birth.pk}/edit/")
    expect(page.locator("#id_last_seen_on")).to_have_value("2025-04-10")
    expect(page.locator("#id_consent_given_at")).to_have_value("2025-04-15T09:30")
    _save_untouched(
        page,
        f"/reports/{report.pk}/edit/",
        "Save changes",
        rf"/reports/{report.pk}/$",
        f"round-trip-{width}-report",
    )

    for case in (with_birth, with_range):
        assert model_to_dict(MissingCase.objects.get(pk=case.pk)) == before[case.pk]
    assert model_to_dict(FoundReport.objects.get(pk=report.pk)) == before[("report", report.pk)]
    assert not AuditEvent.objects.filter(action__in=["case.updated", "report.updated"]).exists()


def test_the_organisation_profile_saved_untouched_changes_nothing(new_page, caseworker):
    organisation = caseworker.organisation
    Organisation.objects.filter(pk=organisation.pk).update(
        contact_name="Grace", contact_email="grace@example.org", contact_phone="+44 20 7946 0000"
    )
    admin = UserFactory(username="orgadmin", organisation=organisation, role=User.Role.ORG_ADMIN)
    before = model_to_dict(Organisation.objects.get(pk=organisation.pk))
    page = new_page(width=390, height=844)
    sign_in_with_code(page, admin)
    _save_untouched(
        page, "/org/profile/", "Save contact", r"/org/profile/$", "round-trip-390-organisation"
    )
    assert model_to_dict(Organisation.objects.get(pk=organisation.pk)) == before
