"""Face detection, embedding, the index and candidates (see docs/accuracy.md)."""

from reunite.env import env_bool, env_float, env_int, env_path, env_str
from reunite.settings.core import BASE_DIR, DATA_DIR

# "deepface": the real models. "fake": a deterministic stand-in for tests not about faces.
FACE_ENGINE = env_str("REUNITE_FACE_ENGINE", "deepface")
# DeepFace reads weights from $DEEPFACE_HOME/.deepface/weights; we place ours there.
DEEPFACE_HOME = env_path("DEEPFACE_HOME", DATA_DIR / "deepface")
FACE_INDEX_DIR = env_path("REUNITE_INDEX_DIR", DATA_DIR / "index")
# The gazetteer's compact table (matching/evidence/gazetteer.py), built from a package's data.
GAZETTEER_DIR = env_path("REUNITE_GAZETTEER_DIR", DATA_DIR / "gazetteer")
# The index file is a snapshot of the database (the log), written every this many changes
# or seconds and at worker shutdown; see docs/scaling.md.
FACE_INDEX_SNAPSHOT_EVERY = env_int("REUNITE_INDEX_SNAPSHOT_EVERY", 10_000)
FACE_INDEX_SNAPSHOT_SECONDS = env_int("REUNITE_INDEX_SNAPSHOT_SECONDS", 300)
# Exact search up to this many faces a side; above it OPQ-IVF-PQ fast-scan, re-ranked
# exactly (docs/scaling.md).
# Exact up to 100k, where an exact query stays near 15 ms p95. Above it the approximate
# index kept 0.9996 of every hit above the threshold and every true mate at 1M, in 14 to
# 17 ms p95 against exact's 116 to 122 ms (bench/search.py --stream).
FACE_INDEX_EXACT_MAX = env_int("REUNITE_INDEX_EXACT_MAX", 100_000)
# Every list by default: fewer probes miss near-threshold strangers (bench/search.py).
FACE_INDEX_NPROBE = env_int("REUNITE_INDEX_NPROBE", 1024)
FACE_INDEX_NLIST_MAX = env_int("REUNITE_INDEX_NLIST_MAX", 256)
# Faces the 4-bit fast scan shortlists for the 8-bit re-score, at 1M faces a side; the
# index scales it by sqrt(gallery / 1M) (at least 3,000).
FACE_INDEX_SCAN = env_int("REUNITE_INDEX_SCAN", 5_000)
# Approximate sides split into this many shards, scanned on as many threads at once. One
# suits 2 cores (the two sides already scan together); on a bigger index machine, about
# half its cores (bench/search.py --stream --shards).
FACE_INDEX_SHARDS = env_int("REUNITE_INDEX_SHARDS", 1)
FACE_INDEX_TRAIN_PER_LIST = env_int("REUNITE_INDEX_TRAIN_PER_LIST", 40)
# The approximate shortlist is this many times SEARCH_TOP_K before the exact re-rank.
FACE_INDEX_SHORTLIST_FACTOR = env_int("REUNITE_INDEX_SHORTLIST_FACTOR", 2)
# Detection runs on a copy at most this long on its long side.
DETECT_MAX_SIDE = env_int("REUNITE_DETECT_MAX_SIDE", 1024)
# Faces narrower than this (in the stored photo) are too small to compare reliably.
MIN_FACE_PIXELS = env_int("REUNITE_MIN_FACE_PIXELS", 40)
# When YuNet and HOG find no face, try dlib's CNN (MMOD) detector; see docs/accuracy.md.
DETECT_CNN_FALLBACK = env_bool("REUNITE_DETECT_CNN_FALLBACK", True)
# A photo with several faces gets a second look (YuNet on an enlarged copy, and dlib's CNN)
# so that more of the faces are outlined for the person who picks the child's.
DETECT_GROUP_SWEEP = env_bool("REUNITE_DETECT_GROUP_SWEEP", True)
# The calibration profile (matching/profiles/<name>.json, or a path to one). It defines the
# embedding space (recognisers, fusion weights, jitter, mirroring) and its thresholds. A
# profile for another space takes effect through `manage.py reembed`; see docs/accuracy.md.
MATCH_PROFILE = env_str("REUNITE_MATCH_PROFILE", "sface-dlib-ages-v2")
# Target false-match rate per comparison that `calibrate` turns into a threshold.
TARGET_FMR = env_float("REUNITE_TARGET_FMR", 0.001)
# Overrides both of the profile's thresholds (a fused score). Unset: the profile's.
_threshold = env_str("REUNITE_CANDIDATE_THRESHOLD").strip()
CANDIDATE_THRESHOLD = float(_threshold) if _threshold not in ("", "None") else None
# From this gap (years) between two photos' ages, a pair needs the profile's large-age-gap
# threshold, and the review band widens.
LARGE_AGE_GAP_YEARS = env_float("REUNITE_LARGE_AGE_GAP_YEARS", 5.0)
# Slack (years) allowed between the missing child's expected age and the estimated age range.
AGE_TOLERANCE_YEARS = env_float("REUNITE_AGE_TOLERANCE_YEARS", 2.0)
SEARCH_TOP_K = env_int("REUNITE_SEARCH_TOP_K", 50)
# The evidence beyond the face (matching/evidence/, docs/evidence.md): at most this many
# candidates per found child wait in the review queue, the best by combined ratio first.
CANDIDATES_PER_REPORT = env_int("REUNITE_CANDIDATES_PER_REPORT", 10)
# Also search each face against its own side (case vs cases, report vs reports) to find a
# child registered twice. Off: only the cross-side search runs.
DUPLICATE_SEARCH = env_bool("REUNITE_DUPLICATE_SEARCH", True)
FAISS_THREADS = env_int("REUNITE_FAISS_THREADS", 1)
# A worker renews its claim on a photo every third of this while it works; a photo whose
# claim is older (its worker died) is taken back by the recovery sweep.
PROCESSING_LEASE_SECONDS = env_int("REUNITE_PROCESSING_LEASE_SECONDS", 30)
FACES_DIR = env_path("REUNITE_FACES_DIR", BASE_DIR.parent / "shared" / "faces")
