"""Kept so matching/evaluation.py and bench/embedding.py need no change: the upload check
now lives in cases/records/images.py. Import from there in new code.
"""

from cases.records.images import PhotoRejected, photo_normalise, photo_pixels

__all__ = ["PhotoRejected", "photo_normalise", "photo_pixels"]
