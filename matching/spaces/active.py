"""Which embedding space matching uses now, and the engine that makes its vectors.

Exactly one `EmbeddingSpace` is active. A new installation gets one from
REUNITE_MATCH_PROFILE on first use; after that only `spaces/services.py` changes it
(re-embedding and the audited switch-over).
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from matching.engine import FaceEngine, engine_for_profile
from matching.models import EmbeddingSpace
from matching.spaces.profiles import profile_read


def space_active() -> EmbeddingSpace:
    """The space matching uses; on a new installation, created from the settings."""
    embedding_space = EmbeddingSpace.objects.filter(status=EmbeddingSpace.Status.ACTIVE).first()
    return embedding_space if embedding_space is not None else _space_bootstrap()


def space_building() -> EmbeddingSpace | None:
    return EmbeddingSpace.objects.filter(status=EmbeddingSpace.Status.BUILDING).first()


def space_engine(*, embedding_space: EmbeddingSpace) -> FaceEngine:
    return engine_for_profile(profile_read(name=embedding_space.profile).data)


def face_engine(*, space: str | None = None) -> FaceEngine:
    """The engine of the active space, or of the space with this name."""
    embedding_space = space_active() if space is None else EmbeddingSpace.objects.get(name=space)
    return space_engine(embedding_space=embedding_space)


def _space_bootstrap() -> EmbeddingSpace:
    # The one write here: a new installation's first space, which every read needs.
    profile = profile_read(name=settings.MATCH_PROFILE)
    engine = engine_for_profile(profile.data)
    try:
        with transaction.atomic():
            return EmbeddingSpace.objects.create(
                name=profile.space,
                profile=settings.MATCH_PROFILE,
                model_version=engine.model_version,
                status=EmbeddingSpace.Status.ACTIVE,
                activated_at=timezone.now(),
            )
    except IntegrityError:  # another process bootstrapped first
        return EmbeddingSpace.objects.get(status=EmbeddingSpace.Status.ACTIVE)
