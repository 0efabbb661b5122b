"""Photo uploads: sizes, pixels and how many per request."""

from reunite.env import env_int

PHOTO_MAX_BYTES = env_int("REUNITE_PHOTO_MAX_BYTES", 15 * 1024 * 1024)
PHOTO_MAX_PIXELS = env_int("REUNITE_PHOTO_MAX_PIXELS", 40_000_000)
PHOTO_MIN_SIDE = env_int("REUNITE_PHOTO_MIN_SIDE", 64)
# The stored, normalised copy is at most this many pixels on its long side.
PHOTO_STORE_MAX_SIDE = env_int("REUNITE_PHOTO_STORE_MAX_SIDE", 2048)
PHOTOS_PER_REQUEST = env_int("REUNITE_PHOTOS_PER_REQUEST", 10)
# A whole request, photos included, is refused from its Content-Length above this (413).
REQUEST_MAX_BYTES = env_int("REUNITE_REQUEST_MAX_BYTES", 60 * 1024 * 1024)
# A request's body without its files (JSON, form fields) may be at most this large (Django
# refuses it before reading it into memory).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REUNITE_FORM_MAX_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
