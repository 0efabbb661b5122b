"""Issue 28, phase B: the words written in Python are translated too (docs/i18n.md).

E-mails and notifications go out in the recipient's language, whoever sends them; the API
answers in the request's `Accept-Language` (codes and field names stay English); every
portal page in every shipped language shows no message left in English; audit events are
stored as codes and read in the reader's language.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

import matching.interfaces  # noqa: F401  (matching's modules in their usual order)
from cases.audit.events import audit_event_words
from cases.management.po import PLACEHOLDER, po_read
from cases.models import MissingCase, Notification, User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from matching.spaces.rates import rate_words
from tests.cases.portal.test_i18n import _django_phrases, _unmarked_words, _visible_text
from tests.factories import UserFactory
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = [code for code, _name in settings.LANGUAGES if code not in ("en-gb", "en-xa")]


@pytest.fixture(autouse=True)
def _default_language():
    """A request's language stays active in the thread after it (Django resets nothing):
    each test here starts and ends in the default language."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def candidate(caseworker, partner) -> Candidate:
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    return Candidate.objects.get()


# --- E-mails in the recipient's language ------------------------------------------------------


def test_a_confirmation_reaches_the_case_owner_in_their_language_not_the_reviewers(
    candidate, reviewer, reviewer2, django_capture_on_commit_callbacks
):
    from matching.review.decisions import candidate_decide

    owner = candidate.case.created_by
    owner.language = "fr"
    owner.save()
    reference = candidate.case.reference
    # The second reviewer works in Spanish; the owner reads French.
    with translation.override("es"):
        candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Sí.")
        with django_capture_on_commit_callbacks(execute=True):
            candidate_decide(user=reviewer2, candidate=candidate, decision="confirm", note="Sí.")
    [message] = mail.outbox
    assert message.subject == f"Reunite : correspondance possible pour le dossier {reference}"
    assert "vérifiez en personne avant de dire quoi que ce soit à la famille" in message.body
    assert "Bonjour" in message.body or "Ouvrez-la dans Reunite" in message.body
    html = message.alternatives[0].content
    assert '<html lang="fr" dir="ltr">' in html
    notification = Notification.objects.get(user=owner)
    assert notification.message.startswith(f"Correspondance possible pour le dossier {reference}")
    assert translation.get_language() != "fr"  # the sender's language is left as it was


def test_a_recipient_without_a_language_gets_the_sites(
    candidate, reviewer, reviewer2, django_capture_on_commit_callbacks
):
    from matching.review.decisions import candidate_decide

    with translation.override("ar"):
        candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="نعم")
        with django_capture_on_commit_callbacks(execute=True):
            candidate_decide(user=reviewer2, candidate=candidate, decision="confirm", note="نعم")
    [message] = mail.outbox
    assert message.subject == f"Reunite: possible match for case {candidate.case.reference}"
    assert '<html lang="en-gb" dir="ltr">' in message.alternatives[0].content


def test_an_invitation_goes_out_in_the_invitees_language(
    caseworker, django_capture_on_commit_callbacks
):
    from cases.access.accounts import user_invite

    admin = UserFactory(role=User.Role.ORG_ADMIN, organisation=caseworker.organisation)
    with translation.override("uk"), django_capture_on_commit_callbacks(execute=True):
        user = user_invite(
            actor=admin,
            organisation=caseworker.organisation,
            username="amina",
            email="amina@example.org",
            role=User.Role.CASEWORKER,
        )
    assert user.language == ""
    [message] = mail.outbox
    # No language of their own yet: the site's, not the inviting admin's Ukrainian.
    assert message.subject == f"Reunite: {caseworker.organisation.name} invites you"


# --- The API: Accept-Language ------------------------------------------------------------------


def test_a_problem_title_and_fixed_detail_follow_accept_language(api_for, caseworker):
    response = api_for(caseworker).post(
        "/api/v1/cases/", {"given_name": "Amina"}, format="multipart", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"  # codes and field names stay English
    assert body["title"] == "Requête non valide"
    assert body["detail"] == "Certains champs sont manquants ou non valides ; voir `errors`."
    assert "last_seen_on" in body["errors"]
    assert response["Content-Language"] == "fr"
    english = api_for(caseworker).post("/api/v1/cases/", {"given_name": "A"}, format="multipart")
    assert english.json()["title"] == "Invalid request"


def test_a_problem_from_drf_is_french_too(client):
    response = client.get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert response.status_code in (401, 403)
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["title"] == "Informations d'authentification non fournies."


def test_the_api_choice_labels_stay_values(api_for, caseworker, candidate):
    """DRF's choice fields answer with the stored value (`pending`), never a label, so the
    API's JSON does not change with the language; only problem titles and details do."""
    body = api_for(caseworker).get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="ar").json()
    rows = body["results"] if isinstance(body, dict) else body
    statuses = {row["status"] for row in rows}
    assert statuses
    assert statuses <= {value for value, _label in candidate.case.Status.choices}


# --- Words read in the reader's language ------------------------------------------------------


def test_audit_events_are_codes_read_in_the_readers_language():
    with translation.override("fr"):
        assert audit_event_words("candidate.confirmed") == (
            "Deux examinateurs ont confirmé une correspondance possible"
        )
    assert audit_event_words("candidate.confirmed") == "Two reviewers confirmed a possible match"
    assert audit_event_words("no.such_event") == "no.such_event"


def test_the_score_words_are_whole_sentences_in_each_language():
    cell = "under 6|under 6"
    assert rate_words(fmr=0.05, cell=cell) == (
        "For photos of young children (under 6), faces this similar are seen between "
        "different children about 1 time in 20."
    )
    with translation.override("fr"):
        assert rate_words(fmr=1 / 12000, cell="") == (
            "Des visages aussi semblables s'observent entre personnes différentes environ "
            "1 fois sur 12\u202f000."
        ) or "1 fois sur 12" in rate_words(fmr=1 / 12000, cell="")
    with translation.override("ar"):
        assert "مرة واحدة من كل 20" in rate_words(fmr=0.05, cell=cell)


def test_a_rejected_photo_reads_its_reason_in_the_readers_language(caseworker):
    photo = ready_photo_with_embedding(user=caseworker, seed=3, side="case").photo
    photo.status, photo.rejection_code = photo.Status.REJECTED, "no_face"
    photo.rejection_reason = "No face found: (the English stored when it was rejected)"
    photo.save()
    assert photo.rejection_words.startswith("No face found: use a photo")
    with translation.override("es"):
        assert photo.rejection_words.startswith("No se encontró ninguna cara")
    photo.rejection_code, photo.rejection_reason = "set_aside", "Set aside by a caseworker: Tía"
    with translation.override("uk"):
        assert photo.rejection_words == "Відкладено соціальним працівником: Tía"


# --- Every portal page in every shipped language: nothing left in English -----------------------


def _english_messages(language: str) -> list[str]:
    """The catalogue's English sentences whose translation differs: a page that still shows
    one of them verbatim shows an untranslated message."""
    locale = translation.to_locale(language)
    sentences = []
    for entry in po_read(ROOT / "locale" / locale / "LC_MESSAGES" / "django.po").entries:
        text = entry.msgid
        if entry.msgid_plural or "<" in text or PLACEHOLDER.search(text) or "%" in text:
            continue
        if len(text.split()) < 3 or entry.msgstr.get(0) == text:
            continue
        sentences.append(text)
    return sentences


@pytest.mark.parametrize("language", SHIPPED)
def test_every_portal_page_in_each_shipped_language_shows_no_english_message(
    client, language, portal_pages
):
    english = _english_messages(language)
    assert len(english) > 300
    problems = {}
    for user, urls in portal_pages.items():
        client.logout()
        if user is not None:
            force_login_verified(client, user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 403, 404), url
            html = response.content.decode()
            assert f'<html lang="{language}"' in html, url
            text = unescape(re.sub(r"\s+", " ", _visible_text(html)))
            # The consent as recorded (the model's English default) is data, not a message.
            text = text.replace(MissingCase._meta.get_field("consent_scope").default, " ")
            left = [sentence for sentence in english if sentence in text]
            if left:
                problems[url] = left
    assert problems == {}


# --- The pseudo-locale: a confirmed match's e-mail and reunification steps -----------------------


def test_a_confirmed_matchs_email_and_steps_in_the_pseudo_locale_show_no_unmarked_english(
    client, candidate, reviewer, reviewer2, django_capture_on_commit_callbacks
):
    from matching.review.decisions import candidate_decide
    from matching.review.reunification import reunification_step_record

    owner = candidate.case.created_by
    owner.language = "en-xa"
    owner.save()
    with django_capture_on_commit_callbacks(execute=True):
        for person in (reviewer, reviewer2):
            candidate_decide(user=person, candidate=candidate, decision="confirm", note="Same.")
    reunification_step_record(
        user=owner, candidate=candidate, stage="contact_made", note="Called them."
    )
    case, report = candidate.case, candidate.found_report
    data = [
        case.reference,
        report.reference,
        case.given_name,
        case.family_name,
        case.last_seen_place,
        case.consent_given_by,
        case.consent_relationship,
        case.consent_scope,
        report.found_place,
        owner.username,
        owner.get_full_name(),
        owner.email,
        owner.organisation.name,
        report.organisation.name,
        report.organisation.contact_name,
        "Called them.",
        "Reunite",
        f"{settings.BASE_URL}/cases/{case.pk}/",
    ]
    phrases = _django_phrases()
    allowed_phrases = sorted(phrases | {p[:1].upper() + p[1:] for p in phrases}, key=len)[::-1]
    [message] = mail.outbox
    problems = {}
    for name, text in [
        ("subject", message.subject),
        ("text", message.body),
        ("html", message.alternatives[0].content),
    ]:
        words = _unmarked_words(text, data=data, allowed=allowed_phrases)
        if words:
            problems[name] = words
    force_login_verified(client, owner)
    html = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert 'data-testid="reunification-steps"' in html
    words = _unmarked_words(html, data=data, allowed=allowed_phrases)
    if words:
        problems["case page"] = words
    assert problems == {}
