"""Where photo files live: the local filesystem (the default) or S3-compatible object storage.

Either way, files are encrypted before they are stored (cases/records/storage.py), and
nothing serves them from a public URL. Object storage is the multi-machine setting: embed
workers on other hosts read the photos from it, so only the index worker needs local files.
"""

from reunite.env import env_str

# `local` (files under REUNITE_MEDIA_ROOT) or `s3` (any S3-compatible store: AWS S3, MinIO...).
PHOTO_STORAGE = env_str("REUNITE_PHOTO_STORAGE", "local").strip().lower()
if PHOTO_STORAGE not in {"local", "s3"}:
    raise ValueError("REUNITE_PHOTO_STORAGE must be `local` or `s3`.")

S3_PHOTO_OPTIONS = {
    "bucket_name": env_str("REUNITE_S3_BUCKET", "reunite-photos"),
    # Empty: AWS itself. Set it for MinIO, Ceph, Garage and other S3-compatible stores.
    "endpoint_url": env_str("REUNITE_S3_ENDPOINT_URL") or None,
    "region_name": env_str("REUNITE_S3_REGION") or None,
    # Empty: boto3's own chain (instance role, AWS_* variables, ~/.aws).
    "access_key": env_str("REUNITE_S3_ACCESS_KEY_ID") or None,
    "secret_key": env_str("REUNITE_S3_SECRET_ACCESS_KEY") or None,
    # Objects stay private: no ACL, no signed URLs handed out, names never changed.
    "default_acl": None,
    "querystring_auth": False,
    "file_overwrite": True,
    # Path-style addressing works with every S3-compatible server; AWS accepts it too.
    "addressing_style": "path",
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "photos": (
        {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": S3_PHOTO_OPTIONS}
        if PHOTO_STORAGE == "s3"
        # No location: it follows MEDIA_ROOT, also when a test changes it.
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
}
