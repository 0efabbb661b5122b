"""Safeguards: photos encrypted at rest, retention, daily limits and surges."""

from reunite.env import env_float, env_int, env_list, env_path, env_str
from reunite.settings.core import DATA_DIR

#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
PHOTO_ENCRYPTION_KEY = env_str("REUNITE_PHOTO_ENCRYPTION_KEY")
# Keys that were current before a rotation, comma-separated: they still decrypt, never
# encrypt. Drop one once `manage.py photo_key_rotate --status` shows nothing left under it.
PHOTO_ENCRYPTION_OLD_KEYS = env_list("REUNITE_PHOTO_ENCRYPTION_OLD_KEYS", [])
# Files re-encrypted per batch by the key rotation task (each batch is audited).
PHOTO_KEY_ROTATION_BATCH_SIZE = env_int("REUNITE_PHOTO_KEY_ROTATION_BATCH_SIZE", 200)

# Biometric data of a reunited or closed case is erased this many days after closing.
CASE_RETENTION_DAYS = env_int("REUNITE_CASE_RETENTION_DAYS", 30)
# A found report is erased this many days after it was filed, unless a candidate is open.
REPORT_RETENTION_DAYS = env_int("REUNITE_REPORT_RETENTION_DAYS", 365)
RETENTION_BATCH_SIZE = env_int("REUNITE_RETENTION_BATCH_SIZE", 100)
# Per-organisation daily limits (UTC days); an organisation's own fields override them.
DAILY_REPORT_LIMIT = env_int("REUNITE_DAILY_REPORT_LIMIT", 200)
DAILY_PHOTO_LIMIT = env_int("REUNITE_DAILY_PHOTO_LIMIT", 1000)
# A day above SURGE_FACTOR x the 14-day daily average, and at least SURGE_FLOOR, is flagged.
SURGE_FACTOR = env_float("REUNITE_SURGE_FACTOR", 3.0)
SURGE_FLOOR = env_int("REUNITE_SURGE_FLOOR", 50)

# Every audit row's MAC, the chain's links and the checkpoints are keyed with this secret,
# kept out of the database, so whoever can write SQL cannot make a record that verifies.
# Unset: derived from DJANGO_SECRET_KEY.
AUDIT_CHAIN_KEY = env_str("REUNITE_AUDIT_CHAIN_KEY")
# Signed checkpoints (count and head hash), appended after each seal, outside the database:
# `audit_verify` compares every one. Keep it where the database's users cannot write
# (docs/safeguards.md), or ship the log.
AUDIT_CHECKPOINT_FILE = env_path("REUNITE_AUDIT_CHECKPOINT_FILE", DATA_DIR / "audit-checkpoints")
# A record is sealed moments after its commit (and by beat every minute); one still unsealed
# after this long is reported as tampering by `audit_verify`.
AUDIT_SEAL_GRACE_SECONDS = env_int("REUNITE_AUDIT_SEAL_GRACE_SECONDS", 300)
