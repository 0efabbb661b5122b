"""`evaluate` and `calibrate` on a small folder of real photos, and the figures behind them."""

import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from matching.evaluation import datasets, metrics
from matching.spaces.calibration import candidate_threshold, evidence_score, profile_active

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_engine")]


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


def test_evaluate_writes_a_report_and_descriptors(small_dataset, tmp_path):
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
    reach = summary["candidates"]
    assert reach["reports"] == 6 and reach["gallery_faces"] == 7
    assert set(reach["by_group"]["sex"]) == {"female", "male"}
    assert "false candidates per 10,000 gallery faces" in (out / "report.md").read_text()

    data = np.load(npz)
    space = profile_active().space
    dim = 256 if "+" in space else 128
    assert data["emb"].dtype == np.float32 and data["emb"].shape == (13, dim)
    for name in ("sface", "sface_flipped", "dlib", "dlib_flipped"):
        assert data[name].shape == (13, 128), name
    assert data["found"].dtype == bool and data["found"].all()
    assert any("/more/" in p for p in data["paths"])
    assert not any(p.startswith("/") for p in data["paths"])
    norms = np.linalg.norm(data["emb"], axis=1)
    assert np.allclose(norms, 1, atol=1e-5)


def test_calibrate_fuses_two_models_and_sets_a_cross_age_threshold(
    small_dataset, tmp_path, settings
):
    npz = tmp_path / "emb.npz"
    call_command(
        "evaluate", str(small_dataset), "--out", str(tmp_path / "r"), "--embeddings-out", str(npz)
    )
    # Ages: every person's photos 10 years apart, so cross-age impostor pairs exist.
    names = sorted(p.name for p in small_dataset.iterdir() if p.is_dir())
    with open(tmp_path / "ages.csv", "w") as handle:
        handle.write("path,age\n")
        for path in np.load(npz)["paths"]:
            handle.write(f"{path},{6 if path.endswith('1.jpg') else 16}\n")
    profile_file = tmp_path / "small.json"
    call_command(
        "calibrate",
        "--embeddings",
        str(npz),
        "--metadata",
        str(tmp_path / "ages.csv"),
        "--target-fmr",
        "0.3",
        "--name",
        "small",
        "--out",
        str(profile_file),
        "--gallery-size",
        "100",
    )
    profile = json.loads(profile_file.read_text())
    weights = profile["space"]["weights"]
    assert set(weights) == {"SFace", "Dlib"}
    assert sum(w * w for w in weights.values()) == pytest.approx(1, abs=1e-5)
    assert profile["fusion"]["grid"] and profile["model_name"].startswith("SFace")
    assert profile["measured_fmr"] <= 0.3
    assert profile["bands"]["strong"] >= profile["threshold"]
    assert profile["large_age_gap"]["impostor_pairs"] > 0
    assert "cross-age" in profile["large_age_gap"]["source"]
    assert profile["expected_false_candidates_per_search"] == pytest.approx(
        100 * profile["measured_fmr"], abs=1e-3
    )
    assert len(names) == 7

    # A profile for the active space takes effect at once; the override still wins.
    active = profile_active()
    data = {**profile, "model_name": active.space}
    profile_file.write_text(json.dumps(data))
    settings.MATCH_PROFILE = str(profile_file)
    assert profile_active().name == "small"
    assert candidate_threshold() == profile["threshold"]
    assert candidate_threshold(age_gap_years=10) == profile["large_age_gap"]["threshold"]
    settings.CANDIDATE_THRESHOLD = 0.5
    assert candidate_threshold() == 0.5


def test_calibrate_writes_age_cells_and_face_clusters_that_evaluate_measures(
    small_dataset, tmp_path, settings
):
    npz = tmp_path / "emb.npz"
    call_command(
        "evaluate", str(small_dataset), "--out", str(tmp_path / "r"), "--embeddings-out", str(npz)
    )
    with open(tmp_path / "ages.csv", "w") as handle:
        handle.write("path,identity,age\n")
        for path in np.load(npz)["paths"]:
            handle.write(f"{path},{path.split('/')[0]},{3 if path.endswith('1.jpg') else 30}\n")
    profile_file = tmp_path / "aged.json"

    def calibrate(out: Path, *options: str) -> None:
        # The cross-age set is the calibration set itself, with the ages written above.
        call_command(
            "calibrate",
            "--embeddings",
            str(npz),
            *options,
            "--ages",
            str(npz),
            "--ages-metadata",
            str(tmp_path / "ages.csv"),
            "--clusters",
            "2",
            "--target-fmr",
            "0.3",
            "--name",
            out.stem,
            "--out",
            str(out),
        )

    calibrate(profile_file)
    profile = json.loads(profile_file.read_text())
    cells = profile["age_cells"]["cells"]
    assert set(cells) >= {"under 6|under 6", "under 6|18+", "18+|18+"}
    for cell in cells.values():
        assert {"threshold", "stated_fmr", "impostor_pairs", "curve"} <= cell.keys()
    # Cells with no pair to estimate from inherit a stricter one, and say so.
    assert cells["6-12|6-12"]["impostor_pairs"] == 0 and "too few" in cells["6-12|6-12"]["note"]
    assert len(profile["clusters"]["centroids"]) == 2 == len(profile["clusters"]["offsets"])

    # Offsets per pair of clusters: a new calibration of the same vectors keeps their space,
    # and the adults' cell pools the adult sets with the cross-age set's own adults.
    again = tmp_path / "again.json"
    calibrate(again, "--space-from", str(profile_file), "--models", "Dlib", "--cluster-pairs")
    kept = json.loads(again.read_text())
    assert kept["space"] == profile["space"] and kept["model_name"] == profile["model_name"]
    assert np.shape(kept["clusters"]["offsets"]) == (2, 2)
    assert kept["clusters"]["applies_to"] == "adults"
    assert "emb.npz (adults)" in kept["clusters"]["sources"]
    assert "pools emb.npz" in kept["age_cells"]["source"]
    pooled = kept["age_cells"]["cells"]["18+|18+"]["impostor_pairs"]
    assert pooled > cells["18+|18+"]["impostor_pairs"]

    out = tmp_path / "measured"
    call_command(
        "evaluate",
        str(small_dataset),
        "--profile",
        str(profile_file),
        "--embeddings-in",
        str(npz),
        "--metadata",
        str(tmp_path / "ages.csv"),
        "--group-by",
        "age",
        "--out",
        str(out),
    )
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["by_age_cell"]) == set(cells)
    fairness = summary["fairness"]["age"]
    assert fairness["overall"]["impostor_pairs"] > 0 and "0-5" in fairness["groups"]
    report = (out / "report.md").read_text()
    assert "By age band of the two photos" in report and "False matches by age" in report


def test_shipped_profile_is_the_fusion_calibrated_on_the_development_set():
    profile = profile_active()
    assert profile.target_fmr == 0.001
    assert profile.data["measured_fmr"] <= profile.target_fmr
    assert profile.data["source"]["photos"] == 1548
    assert set(profile.data["space"]["weights"]) == {"SFace", "Dlib"}
    # Honest for children: a threshold per pair of age bands, each within 2x of its rate.
    cells = profile.data["age_cells"]["cells"]
    assert len(cells) == 10 and cells["under 6|under 6"]["threshold"] > profile.threshold
    assert all(c["stated_fmr"] <= 2 * profile.target_fmr for c in cells.values())
    assert len(profile.data["clusters"]["offsets"]) == 12


def test_threshold_for_fmr_never_exceeds_the_target():
    impostor = np.random.default_rng(0).normal(0.5, 0.1, 100_000)
    for target in (0.01, 0.001, 0.0001):
        threshold = metrics.threshold_for_fmr(impostor=impostor, target_fmr=target)
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
    result = metrics.identification(identities=identities, found=found, emb=emb)
    # a's second photo is nearer to distractor b than to a's first photo.
    assert result["probes"] == 1 and result["rank1"] == 0.0 and result["rank10"] == 1.0


def test_a_probe_without_a_face_is_a_miss():
    identities, found, emb = _toy({"a": [[1, 0, 0], [1, 0.1, 0]], "b": [[0, 1, 0]]})
    found[1] = False
    assert metrics.identification(identities=identities, found=found, emb=emb)["rank50"] == 0


def test_pair_scores_count_unscored_genuine_pairs():
    identities, found, emb = _toy({"a": [[1, 0], [1, 0.1], [0.9, 0.1]], "b": [[0, 1]]})
    found[2] = False
    scores = metrics.pair_scores(identities=identities, found=found, emb=emb)
    assert len(scores.genuine) == 1 and scores.genuine_unscored == 2
    assert len(scores.impostor) == 2
    rates = metrics.rates_at(scores=scores, threshold=0.5)
    assert rates["fnmr"] == 0 and rates["fnmr_incl_no_face"] == pytest.approx(2 / 3)


def test_a_groups_rate_is_compared_with_strangers_of_the_same_group():
    # Two groups of three strangers each. Within g1 one pair of three passes; within g2 none;
    # across the groups (nine pairs) none: the overall rate pools the six same-group pairs.
    identities, found, emb = _toy(
        {
            "a": [[1, 0, 0, 0]],
            "b": [[0.9, 0.436, 0, 0]],
            "c": [[0, 1, 0, 0]],
            "d": [[0, 0, 1, 0]],
            "e": [[0, 0, 0, 1]],
            "f": [[0, 0, 0.6, 0.8]],
        }
    )
    labels = ["g1", "g1", "g1", "g2", "g2", "g2"]
    rule = np.full((6, 6), 0.85)
    fair = metrics.group_rates(
        identities=identities, found=found, emb=emb, rule=rule, labels=labels
    )
    assert fair["overall"]["impostor_pairs"] == 6 and fair["overall"]["fmr"] == pytest.approx(1 / 6)
    assert fair["all_pairs"]["impostor_pairs"] == 15
    assert fair["all_pairs"]["fmr"] == pytest.approx(1 / 15)
    assert fair["groups"]["g1"]["times_overall"] == pytest.approx(2.0)
    assert fair["groups"]["g2"]["times_overall"] == 0.0
    # A photo with no label is listed, never pooled into the overall rate.
    unlabelled = metrics.group_rates(
        identities=identities, found=found, emb=emb, rule=rule, labels=[*labels[:5], "unknown"]
    )
    assert unlabelled["overall"]["impostor_pairs"] == 4
    assert "unknown" in unlabelled["groups"]


def test_evidence_score_rewards_agreement_and_ignores_weak_pairs():
    assert evidence_score(scores=[0.95], threshold=0.93) == pytest.approx(0.95)
    assert evidence_score(scores=[0.95, 0.94], threshold=0.93) == pytest.approx(0.955)
    assert evidence_score(scores=[0.95, 0.5], threshold=0.93) == pytest.approx(0.95)


def test_genuine_misses_are_reported_by_age_gap():
    identities, found, emb = _toy({"a": [[1, 0], [1, 0.05], [0.2, 1]], "b": [[0, 1]]})
    ages = np.array([5.0, 6.0, 17.0, np.nan])
    table = metrics.age_gap_rates(
        identities=identities, found=found, emb=emb, ages=ages, threshold=0.9
    )
    assert table["0-5 years"] == {"genuine_pairs": 1, "fnmr_incl_no_face": 0.0}
    assert table["10+ years"] == {"genuine_pairs": 2, "fnmr_incl_no_face": 1.0}


def test_ages_come_from_the_age_column_or_dates():
    assert datasets.sample_age(row={"age": "7"}) == 7.0
    age = datasets.sample_age(row={"taken_on": "2020-01-01", "date_of_birth": "2010-01-01"})
    assert age == pytest.approx(10, abs=0.01)
    assert datasets.sample_age(row={}) is None
    assert datasets.age_band(7) == "6-11" and datasets.age_band(60) == "50+"


def test_candidate_reach_counts_children_found_and_false_candidates_per_10k_faces():
    # Cases: a, b, c (first photos). Reports: a's second photo (close to a, and to b).
    identities, found, emb = _toy(
        {"a": [[1, 0, 0], [0.95, 0.3, 0]], "b": [[0.9, 0.43, 0]], "c": [[0, 0, 1]]}
    )
    reach = metrics.candidate_reach(
        identities=identities,
        found=found,
        emb=emb,
        threshold=0.9,
        large_gap_threshold=0.9,
        large_gap_years=5,
    )
    assert reach["reports"] == 1 and reach["gallery_faces"] == 3
    assert reach["child_among_candidates"] == 1.0
    assert reach["false_per_10k_faces"] == pytest.approx(1 / 3 * 10_000)


def test_candidate_reach_uses_the_large_gap_threshold_and_roles():
    identities, found, emb = _toy({"a": [[1, 0], [0.8, 0.6]], "b": [[0, 1]]})
    roles = ["case", "found", "case"]
    ages = np.array([4.0, 16.0, 30.0])
    common = {"identities": identities, "found": found, "emb": emb, "roles": roles, "ages": ages}
    strict = metrics.candidate_reach(
        **common, threshold=0.9, large_gap_threshold=0.9, large_gap_years=5
    )
    lenient = metrics.candidate_reach(
        **common, threshold=0.9, large_gap_threshold=0.75, large_gap_years=5
    )
    assert strict["child_among_candidates"] == 0.0
    assert lenient["child_among_candidates"] == 1.0
    assert lenient["by_age_gap"]["10+ years"]["reports"] == 1


def test_fusion_weights_favour_the_model_that_separates_people():
    rng = np.random.default_rng(0)
    people = 40
    identity_vectors = rng.normal(size=(people, 128))
    identities = [f"p{i}" for i in range(people) for _ in range(2)]
    good = np.repeat(identity_vectors, 2, axis=0) + rng.normal(scale=0.5, size=(2 * people, 128))
    noise = rng.normal(size=(2 * people, 128))
    embedded = datasets.Embedded(
        found=np.ones(2 * people, bool),
        emb=np.zeros((2 * people, 128), np.float32),
        detector=np.array(["yunet"] * 2 * people),
        descriptors={"sface": good.astype(np.float32), "dlib": noise.astype(np.float32)},
    )
    fusion = metrics.fusion_calibrate(
        identities=identities, embedded=embedded, models=["SFace", "Dlib"]
    )
    assert fusion["lambda"] == 0.0
    assert fusion["weights"]["SFace"] == pytest.approx(1.0)


def test_space_embeddings_match_the_engine_arithmetic():
    from matching.engine.base import fuse, normalise

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(1, 128)), rng.normal(size=(1, 128))
    embedded = datasets.Embedded(
        found=np.ones(1, bool),
        emb=np.zeros((1, 256), np.float32),
        detector=np.array(["yunet"]),
        descriptors={"sface": a.astype(np.float32), "dlib": b.astype(np.float32)},
    )
    weights = {"SFace": 0.8, "Dlib": 0.6}
    _, emb = datasets.space_embeddings(embedded=embedded, weights=weights)
    expected = normalise(fuse([a[0], b[0]], [0.8, 0.6]))
    assert np.allclose(emb[0], expected, atol=1e-6)
