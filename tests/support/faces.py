"""A ready photo with a face and an embedding, made without the face model."""

import numpy as np

from cases.models import Photo, User
from cases.records.storage import photo_file_write
from matching.models import Candidate, Embedding, Face
from matching.spaces.active import space_active
from tests.factories import FoundReportFactory, MissingCaseFactory
from tests.support.data import image_bytes


def ready_photo_with_embedding(*, user: User, seed: int, side: str = "case") -> Face:
    """A ready photo with one selected face and a random embedding, without the model."""
    rng = np.random.default_rng(seed)
    vector = rng.normal(size=128).astype(np.float32)
    vector /= np.linalg.norm(vector)
    owner = (MissingCaseFactory if side == "case" else FoundReportFactory)(created_by=user)
    photo = Photo.objects.create(
        side=side,
        case=owner if side == "case" else None,
        found_report=owner if side == "report" else None,
        organisation=owner.organisation,
        uploaded_by=user,
        file=photo_file_write(data=image_bytes(size=(200, 200), fmt="JPEG", color="grey")),
        width=200,
        height=200,
        status=Photo.Status.READY,
    )
    face = Face.objects.create(
        photo=photo, ordinal=0, x=10, y=10, w=100, h=100, detector_score=1.0, is_selected=True
    )
    Embedding.objects.create(
        face=face,
        side=side,
        space=space_active().name,
        model_version="test",
        vector=vector.tobytes(),
    )
    return face


def candidate_with_contact(*, caseworker: User, partner: User, partner_org) -> Candidate:
    """A candidate between a caseworker's case and a partner's report, the partner's
    organisation having a named contact (what the case owner sees after a confirmation)."""
    from matching.candidates.pairs import candidate_pair_record

    partner_org.contact_name = "Ada Mensah"
    partner_org.contact_email = "ada@hope.example"
    partner_org.contact_phone = "+44 20 7946 0202"
    partner_org.save()
    candidate_pair_record(
        case_face=ready_photo_with_embedding(user=caseworker, seed=1, side="case"),
        report_face=ready_photo_with_embedding(user=partner, seed=2, side="report"),
        score=0.95,
    )
    return Candidate.objects.get()
