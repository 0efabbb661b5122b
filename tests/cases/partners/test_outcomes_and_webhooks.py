import datetime as dt
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from cases.models import MissingCase, WebhookDelivery
from cases.partners.webhooks import SIGNATURE_HEADER, signature_make, signature_verify
from cases.safeguards.retention import case_close
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from matching.review.decisions import candidate_decide, candidate_withdraw
from tests.support.api import webhook_receiver
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def allow_local_webhooks(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


def _candidate(caseworker, partner) -> Candidate:
    candidate_pair_record(
        case_face=ready_photo_with_embedding(user=caseworker, seed=1, side="case"),
        report_face=ready_photo_with_embedding(user=partner, seed=2, side="report"),
        score=0.95,
    )
    return Candidate.objects.get()


def _confirm(candidate, reviewer, reviewer2) -> None:
    for person in (reviewer, reviewer2):
        candidate_decide(user=person, candidate=candidate, decision="confirm", note="Same")


def test_partner_sees_under_review_then_the_confirmed_contact_and_nothing_else(
    api_for, caseworker, partner, reviewer, reviewer2, org_family
):
    org_family.contact_email = "links@family.example"
    org_family.save()
    candidate = _candidate(caseworker, partner)
    client = api_for(partner)
    url = f"/api/v1/found-reports/{candidate.found_report_id}/"
    assert client.get(url).json()["outcome"] == {
        "state": "under_review",
        "contact": None,
        "decided_by": None,
    }

    _confirm(candidate, reviewer, reviewer2)
    body = client.get(url).json()
    assert body["outcome"] == {
        "state": "possible_match_confirmed",
        "contact": {
            "organisation": "Family Links",
            "name": "",
            "email": "links@family.example",
            "phone": "",
        },
        "decided_by": "two_reviewers",
    }
    assert body["processing_state"] == "complete"
    assert candidate.case.given_name not in str(body)
    assert candidate.case.reference not in str(body)


def test_caseworker_reads_a_cases_candidates_coarsely(api_for, caseworker, partner):
    candidate = _candidate(caseworker, partner)
    body = api_for(caseworker).get(f"/api/v1/cases/{candidate.case_id}/candidates/").json()
    assert body == [
        {
            "id": candidate.pk,
            "outcome": "under_review",
            "contact": None,
            "created_at": body[0]["created_at"],
            "updated_at": body[0]["updated_at"],
        }
    ]
    assert api_for(partner).get(f"/api/v1/cases/{candidate.case_id}/candidates/").status_code == 403


def test_outcome_changes_are_pushed_signed_and_the_receiver_verifies_them(
    api_for, caseworker, partner, reviewer, reviewer2, allow_local_webhooks
):
    client = api_for(partner)
    with webhook_receiver() as receiver:
        created = client.post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
        assert created.status_code == 201, created.json()
        secret = created.json()["secret"]
        assert "secret" not in client.get("/api/v1/webhooks/").json()[0]

        candidate = _candidate(caseworker, partner)
        _confirm(candidate, reviewer, reviewer2)

    states = [b["data"]["outcome"]["state"] for b in receiver.bodies()]
    assert states == ["under_review", "possible_match_confirmed"]
    for request in receiver.requests:
        header = request["headers"][SIGNATURE_HEADER]
        assert signature_verify(secret=secret, header=header, body=request["body"])
        assert not signature_verify(secret="whsec_wrong", header=header, body=request["body"])
        assert not signature_verify(secret=secret, header=header, body=request["body"] + b" ")
    log = client.get(f"/api/v1/webhooks/{created.json()['id']}/deliveries/").json()
    assert [d["status"] for d in log["results"]] == ["delivered", "delivered"]


def test_a_failed_delivery_is_logged_and_retried_with_backoff(
    api_for, caseworker, partner, allow_local_webhooks, settings
):
    from cases.partners.tasks import webhook_deliveries_retry_task

    client = api_for(partner)
    with webhook_receiver() as receiver:
        receiver.status = 503
        client.post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
        _candidate(caseworker, partner)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "pending",
            1,
            503,
        )
        assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)

        # Not due yet: the sweep leaves it alone.
        assert webhook_deliveries_retry_task() == 0
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        receiver.status = 200
        assert webhook_deliveries_retry_task() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 2
    # The same event both times, so the receiver can drop the duplicate.
    assert len({r["headers"]["Reunite-Event-Id"] for r in receiver.requests}) == 1


def test_delivery_gives_up_after_the_maximum_attempts(
    api_for, caseworker, partner, allow_local_webhooks, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    with webhook_receiver() as receiver:
        receiver.status = 500
        api_for(partner).post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
        _candidate(caseworker, partner)
    assert WebhookDelivery.objects.get().status == "failed"


def test_an_old_signature_is_refused_as_a_replay():
    body = b'{"x":1}'
    old = int(time.time()) - 3600
    header = signature_make(secret="s", timestamp=old, body=body)
    assert not signature_verify(secret="s", header=header, body=body)
    assert signature_verify(secret="s", header=header, body=body, now=old + 10)


def test_webhook_urls_must_be_https_and_public(api_for, partner):
    client = api_for(partner)
    for url in ("http://example.org/hook", "https://127.0.0.1/hook", "https://10.0.0.5/x"):
        response = client.post("/api/v1/webhooks/", {"url": url}, format="json")
        assert response.status_code == 400, url
        assert "url" in response.json()["errors"]


def test_webhook_secret_is_encrypted_at_rest(partner):
    from cases.models import WebhookEndpoint
    from cases.partners.webhooks import webhook_endpoint_create
    from cases.records.storage import secret_decrypt

    with override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=True):
        endpoint, secret = webhook_endpoint_create(user=partner, url="http://127.0.0.1:9/hook")
    stored = WebhookEndpoint.objects.get(pk=endpoint.pk).secret
    assert secret not in stored
    assert secret_decrypt(token=stored) == secret


def test_the_case_owners_steps_reach_the_partner_by_webhook_and_api(
    api_for, caseworker, partner, reviewer, reviewer2, org_family, allow_local_webhooks
):
    from matching.review.reunification import reunification_step_record

    org_family.contact_name = "Sam Okafor"
    org_family.contact_phone = "+44 20 7946 0101"
    org_family.save()
    client = api_for(partner)
    with webhook_receiver() as receiver:
        client.post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
        candidate = _candidate(caseworker, partner)
        _confirm(candidate, reviewer, reviewer2)
        for stage in ("contact_made", "verified_same", "reunited"):
            reunification_step_record(
                user=caseworker, candidate=candidate, stage=stage, note="Done, with Ada."
            )

    states = [b["data"]["outcome"]["state"] for b in receiver.bodies()]
    # "Contact made" changes nothing the partner reads, so it sends nothing.
    assert states == ["under_review", "possible_match_confirmed", "verified_same_child", "reunited"]
    body = client.get(f"/api/v1/found-reports/{candidate.found_report_id}/").json()
    assert body["outcome"]["state"] == "reunited"
    assert body["outcome"]["contact"]["name"] == "Sam Okafor"
    assert "Done, with Ada." not in str(receiver.bodies()) + str(body)
    assert candidate.case.given_name not in str(receiver.bodies())


def test_not_the_same_child_reaches_the_partner_as_back_to_no_match(
    api_for, caseworker, partner, reviewer, reviewer2, allow_local_webhooks
):
    from matching.review.reunification import reunification_step_record

    client = api_for(partner)
    with webhook_receiver() as receiver:
        client.post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
        candidate = _candidate(caseworker, partner)
        _confirm(candidate, reviewer, reviewer2)
        reunification_step_record(
            user=caseworker, candidate=candidate, stage="verified_not_same", note="Another child."
        )

    states = [b["data"]["outcome"]["state"] for b in receiver.bodies()]
    assert states == ["under_review", "possible_match_confirmed", "no_match_so_far"]
    assert receiver.bodies()[-1]["data"]["outcome"]["contact"] is None
    cases = api_for(caseworker).get(f"/api/v1/cases/{candidate.case_id}/candidates/").json()
    assert cases[0]["outcome"] == "not_a_match"


def test_closing_a_case_tells_the_partner_its_waiting_candidate_waits_on_no_reviewer(
    api_for, caseworker, partner, allow_local_webhooks
):
    client = api_for(partner)
    with webhook_receiver() as receiver:
        client.post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
        candidate = _candidate(caseworker, partner)
        # No candidate row changes: the case service itself says the outcome may have moved.
        case_close(user=caseworker, case=candidate.case, outcome=MissingCase.Status.CLOSED)

    states = [b["data"]["outcome"]["state"] for b in receiver.bodies()]
    assert states == ["under_review", "no_match_so_far"]
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.PENDING


def test_an_operators_withdrawal_reaches_the_partner(
    api_for, caseworker, partner, allow_local_webhooks
):
    client = api_for(partner)
    with webhook_receiver() as receiver:
        client.post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
        candidate = _candidate(caseworker, partner)
        candidate_withdraw(actor=None, candidate=candidate, reason="Photos filed in error.")

    states = [b["data"]["outcome"]["state"] for b in receiver.bodies()]
    assert states == ["under_review", "no_match_so_far"]
