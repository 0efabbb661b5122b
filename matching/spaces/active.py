"""Which embedding space matching uses now, and the engine that makes its vectors.

Exactly one `EmbeddingGeneration` is active. A new installation gets one from
REUNITE_MATCH_PROFILE on first use; after that only `services.generations` changes it
(re-embedding and the audited switch-over).
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from matching.engine import FaceEngine, engine_for_profile
from matching.models import EmbeddingGeneration
from matching.spaces.profiles import profile_read


def generation_active() -> EmbeddingGeneration:
    """The generation matching uses; on a new installation, created from the settings."""
    generation = EmbeddingGeneration.objects.filter(
        status=EmbeddingGeneration.Status.ACTIVE
    ).first()
    return generation if generation is not None else _generation_bootstrap()


def generation_building() -> EmbeddingGeneration | None:
    return EmbeddingGeneration.objects.filter(status=EmbeddingGeneration.Status.BUILDING).first()


def generation_engine(*, generation: EmbeddingGeneration) -> FaceEngine:
    return engine_for_profile(profile_read(name=generation.profile).data)


def face_engine(*, space: str | None = None) -> FaceEngine:
    """The engine of the active generation, or of the generation with this space name."""
    generation = (
        generation_active() if space is None else EmbeddingGeneration.objects.get(space=space)
    )
    return generation_engine(generation=generation)


def _generation_bootstrap() -> EmbeddingGeneration:
    # The one write here: a new installation's first generation, which every read needs.
    profile = profile_read(name=settings.MATCH_PROFILE)
    engine = engine_for_profile(profile.data)
    try:
        with transaction.atomic():
            return EmbeddingGeneration.objects.create(
                space=profile.model_name,
                profile=settings.MATCH_PROFILE,
                model_version=engine.model_version,
                status=EmbeddingGeneration.Status.ACTIVE,
                activated_at=timezone.now(),
            )
    except IntegrityError:  # another process bootstrapped first
        return EmbeddingGeneration.objects.get(status=EmbeddingGeneration.Status.ACTIVE)
