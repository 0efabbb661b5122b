"""A caseworker sees a possible duplicate registration on the case page and answers it."""

import pytest
from playwright.sync_api import expect

from cases.models import User
from cases.records.services import PhotoUpload, case_create
from matching.models import Duplicate
from tests.factories import UserFactory
from tests.support.browser import screenshot, sign_in
from tests.support.data import CASE_FIELDS, textured_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_caseworker_marks_a_duplicate_as_the_same_child(new_page, caseworker, org_ngo):
    org_ngo.contact_email = "desk@hope.example"
    org_ngo.save()
    other = UserFactory(username="cw-ngo", organisation=org_ngo, role=User.Role.CASEWORKER)
    photo = textured_photo(seed=51)
    mine = case_create(user=caseworker, photos=[PhotoUpload(data=photo)], **CASE_FIELDS)
    theirs = case_create(
        user=other, photos=[PhotoUpload(data=photo)], **{**CASE_FIELDS, "given_name": "Zainab"}
    )

    page = new_page()
    sign_in(page, "caseworker")
    page.goto(f"/cases/{mine.pk}/")
    panel = page.get_by_test_id("duplicates")
    expect(panel).to_contain_text(f"Possibly the same child as case {theirs.reference}")
    expect(panel).to_contain_text("desk@hope.example")
    expect(panel).not_to_contain_text("Zainab")
    screenshot(page, "dup-01-case-page")

    panel.get_by_role("button", name="Same child: link the records").click()
    expect(page.get_by_test_id("duplicate")).to_have_attribute("data-status", "partly_confirmed")
    expect(page.get_by_test_id("duplicate")).to_contain_text(
        "Your organisation said: same child. Waiting for Hope Street NGO to answer."
    )
    screenshot(page, "dup-02-answered")
    assert Duplicate.objects.get().status == Duplicate.Status.PARTLY_CONFIRMED
