"""`evaluate` and `calibrate` on a small folder of real photos, and the figures behind them."""

import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from matching import evaluation
from matching.calibration import candidate_threshold, evidence_score, profile_active


@pytest.fixture
def small_dataset(tmp_path: Path, lfw_people: dict[str, list[Path]]) -> Path:
    """Three people with several photos (one in a subfolder), four distractors, a stray file."""
    root = tmp_path / "faces"
    several = [n for n, p in sorted(lfw_people.items()) if len(p) >= 3][:3]
    singles = [n for n, p in sorted(lfw_people.items()) if len(p) == 1][:4]
    for name in several + singles:
        folder = root / name
        folder.mkdir(parents=True)
        for i, photo in enumerate(sorted(lfw_people[name])[:3]):
            target = folder / ("more" if i == 2 else "") / photo.name
            target.parent.mkdir(exist_ok=True)
            target.symlink_to(photo)
    (root / several[0] / "notes.txt").write_text("not a photo")
    with open(root / "metadata.csv", "w") as handle:
        handle.write("identity,sex\n")
        for i, name in enumerate(several + singles):
            handle.write(f"{name},{'female' if i % 2 else 'male'}\n")
    return root


def test_evaluate_writes_a_report_and_embeddings(small_dataset, tmp_path):
    out = tmp_path / "report"
    npz = tmp_path / "emb.npz"
    call_command(
        "evaluate",
        str(small_dataset),
        "--out",
        str(out),
        "--embeddings-out",
        str(npz),
        "--group-by",
        "sex",
        "--workers",
        "2",
    )
    for name in ("roc.png", "det.png", "distributions.png", "report.md", "scores.npz"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["photos"] == 13  # 3 x 3 + 4, the text file skipped
    assert summary["rates"]["candidate"]["threshold"] == pytest.approx(candidate_threshold())
    assert {"rank1", "rank10", "rank50"} <= summary["identification"].keys()
    assert set(summary["groups"]["sex"]) == {"female", "male"}

    data = np.load(npz)
    assert data["emb"].dtype == np.float32 and data["emb"].shape == (13, 128)
    assert data["found"].dtype == bool and data["found"].all()
    assert any("/more/" in p for p in data["paths"])
    assert not any(p.startswith("/") for p in data["paths"])
    norms = np.linalg.norm(data["emb"], axis=1)
    assert np.allclose(norms, 1, atol=1e-5)


def test_calibrate_turns_an_evaluation_into_the_active_profile(small_dataset, tmp_path, settings):
    out = tmp_path / "report"
    call_command("evaluate", str(small_dataset), "--out", str(out))
    profile_file = tmp_path / "small.json"
    call_command(
        "calibrate",
        "--report",
        str(out),
        "--target-fmr",
        "0.2",
        "--name",
        "small",
        "--out",
        str(profile_file),
        "--gallery-size",
        "100",
    )
    profile = json.loads(profile_file.read_text())
    assert profile["measured_fmr"] <= 0.2
    assert profile["bands"]["strong"] >= profile["threshold"]
    assert profile["bands"]["large_age_gap_possible"] <= profile["threshold"]
    assert profile["expected_false_candidates_per_search"] == pytest.approx(
        100 * profile["measured_fmr"], abs=1e-3
    )
    settings.MATCH_PROFILE = str(profile_file)
    assert profile_active().name == "small"
    assert candidate_threshold() == profile["threshold"]
    settings.CANDIDATE_THRESHOLD = 0.5
    assert candidate_threshold() == 0.5


def test_shipped_profile_matches_the_configured_model():
    profile = profile_active()
    assert profile.target_fmr == 0.001
    assert profile.data["measured_fmr"] <= profile.target_fmr
    assert profile.data["source"]["photos"] == 1548


def test_threshold_for_fmr_never_exceeds_the_target():
    impostor = np.random.default_rng(0).normal(0.5, 0.1, 100_000)
    for target in (0.01, 0.001, 0.0001):
        threshold = evaluation.threshold_for_fmr(impostor=impostor, target_fmr=target)
        assert (impostor >= threshold).mean() <= target
        assert (impostor >= threshold - 1e-3).mean() > target * 0.5


def _toy(vectors: dict[str, list[list[float]]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    identities = [name for name, rows in vectors.items() for _ in rows]
    emb = np.array([row for rows in vectors.values() for row in rows], dtype=np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return identities, np.ones(len(emb), bool), emb


def test_identification_counts_a_distractor_above_the_true_person_as_a_rank_miss():
    identities, found, emb = _toy(
        {"a": [[1, 0, 0], [0.6, 0.8, 0]], "b": [[0, 1, 0]], "c": [[0, 0, 1]]}
    )
    result = evaluation.identification(identities=identities, found=found, emb=emb)
    # a's second photo is nearer to distractor b than to a's first photo.
    assert result["probes"] == 1 and result["rank1"] == 0.0 and result["rank10"] == 1.0


def test_a_probe_without_a_face_is_a_miss():
    identities, found, emb = _toy({"a": [[1, 0, 0], [1, 0.1, 0]], "b": [[0, 1, 0]]})
    found[1] = False
    assert evaluation.identification(identities=identities, found=found, emb=emb)["rank50"] == 0


def test_pair_scores_count_unscored_genuine_pairs():
    identities, found, emb = _toy({"a": [[1, 0], [1, 0.1], [0.9, 0.1]], "b": [[0, 1]]})
    found[2] = False
    scores = evaluation.pair_scores(identities=identities, found=found, emb=emb)
    assert len(scores.genuine) == 1 and scores.genuine_unscored == 2
    assert len(scores.impostor) == 2
    rates = evaluation.rates_at(scores=scores, threshold=0.5)
    assert rates["fnmr"] == 0 and rates["fnmr_incl_no_face"] == pytest.approx(2 / 3)


def test_evidence_score_rewards_agreement_and_ignores_weak_pairs():
    assert evidence_score(scores=[0.95], threshold=0.93) == pytest.approx(0.95)
    assert evidence_score(scores=[0.95, 0.94], threshold=0.93) == pytest.approx(0.955)
    assert evidence_score(scores=[0.95, 0.5], threshold=0.93) == pytest.approx(0.95)


def test_genuine_misses_are_reported_by_age_gap():
    identities, found, emb = _toy({"a": [[1, 0], [1, 0.05], [0.2, 1]], "b": [[0, 1]]})
    ages = np.array([5.0, 6.0, 17.0, np.nan])
    table = evaluation.age_gap_rates(
        identities=identities, found=found, emb=emb, ages=ages, threshold=0.9
    )
    assert table["0-5 years"] == {"genuine_pairs": 1, "fnmr_incl_no_face": 0.0}
    assert table["10+ years"] == {"genuine_pairs": 2, "fnmr_incl_no_face": 1.0}


def test_ages_come_from_the_age_column_or_dates():
    assert evaluation.sample_age(row={"age": "7"}) == 7.0
    age = evaluation.sample_age(row={"taken_on": "2020-01-01", "date_of_birth": "2010-01-01"})
    assert age == pytest.approx(10, abs=0.01)
    assert evaluation.sample_age(row={}) is None
    assert evaluation.age_band(7) == "6-11" and evaluation.age_band(60) == "50+"
