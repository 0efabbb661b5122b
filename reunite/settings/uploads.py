"""Photo uploads: sizes, pixels and how many per request."""

from reunite.env import env_int

PHOTO_MAX_BYTES = env_int("REUNITE_PHOTO_MAX_BYTES", 15 * 1024 * 1024)
PHOTO_MAX_PIXELS = env_int("REUNITE_PHOTO_MAX_PIXELS", 40_000_000)
# A decoded photo may take at most this much memory (pixels x bytes per channel x channels,
# as Pillow holds it): 128 MiB is a 32 MP RGB or a 64 MP 16-bit greyscale PNG. JPEG decodes
# at a reduced scale first, so a phone photo of any size fits.
PHOTO_MAX_DECODED_BYTES = env_int("REUNITE_PHOTO_MAX_DECODED_BYTES", 128 * 1024 * 1024)
# Photos decoded at once in one process (threads wait for a slot), and how long a request
# waits for one before a 503 with Retry-After: a threaded server's memory stays bounded.
PHOTO_DECODES_AT_ONCE = env_int("REUNITE_PHOTO_DECODES_AT_ONCE", 2)
PHOTO_DECODE_WAIT_SECONDS = env_int("REUNITE_PHOTO_DECODE_WAIT_SECONDS", 30)
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
