"""Thresholds and rates per pair: age cells, face clusters, and the words reviewers read."""

from __future__ import annotations

import numpy as np
import pytest

from matching.evaluation import metrics
from matching.evaluation.fit import (
    age_table_data,
    age_table_fit,
    cluster_offsets,
    clusters_data,
    clusters_fit,
)
from matching.spaces.rates import (
    AGE_BAND_LABELS,
    Clusters,
    Rates,
    age_band,
    age_bands,
    cell_key,
    rate_words,
)

DIM = 32


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _people(
    rng: np.random.Generator, *, n: int, photos: int, spread: float, noise: float, centre
) -> np.ndarray:
    """`n` people with `photos` each around `centre`: `spread` sets how alike strangers look."""
    identities = centre + spread * rng.standard_normal((n, DIM))
    return np.repeat(identities, photos, axis=0) + noise * rng.standard_normal((n * photos, DIM))


@pytest.fixture
def cross_age_set():
    """Toddlers look alike (small spread), adults less so; each person at two ages."""
    rng = np.random.default_rng(7)
    centre = np.zeros(DIM)
    centre[0] = 3.0
    young = _people(rng, n=60, photos=2, spread=0.35, noise=0.12, centre=centre)
    old = _people(rng, n=60, photos=2, spread=1.0, noise=0.12, centre=centre)
    emb = _unit(np.concatenate([young, old]))
    identities = [f"y{i // 2}" for i in range(120)] + [f"a{i // 2}" for i in range(120)]
    ages = np.array([2.0] * 120 + [30.0] * 120)
    return identities, emb, ages


def test_age_bands_follow_the_issue_bands():
    assert [age_band(a) for a in (0, 5.9, 6, 12.9, 13, 17.9, 18, 70)] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert age_band(None) is None
    assert age_bands(np.array([1.0, np.nan, 40.0])).tolist() == [0, -1, 3]


def test_each_age_cell_states_the_rate_it_has(cross_age_set):
    identities, emb, ages = cross_age_set
    found = np.ones(len(emb), bool)
    table, tar = age_table_fit(
        identities=identities,
        found=found,
        emb=emb,
        ages=ages,
        target_fmr=0.01,
        clusters=None,
        source="synthetic",
    )
    young, adult = table.cells["under 6|under 6"], table.cells["18+|18+"]
    # Toddlers' strangers look more alike, so their threshold is higher.
    assert young.threshold > adult.threshold
    rates = Rates.from_profile_data(
        {"age_cells": age_table_data(table=table, tar=tar)}, base_threshold=0.0
    )
    rule = metrics.pair_thresholds(rates=rates, emb=emb, ages=ages)
    measured = metrics.age_cell_rates(
        identities=identities, found=found, emb=emb, rule=rule, ages=ages
    )
    for key in ("under 6|under 6", "under 6|18+", "18+|18+"):
        cell = table.cells[key]
        assert cell.impostor_pairs == measured[key]["impostor_pairs"]
        # The acceptance bound: the measured rate within 2x of the stated one.
        assert cell.stated_fmr / 2 <= measured[key]["fmr"] <= cell.stated_fmr * 2


def test_a_cell_with_too_few_pairs_inherits_the_stricter_neighbour_and_says_so(cross_age_set):
    identities, emb, ages = cross_age_set
    ages = ages.copy()
    ages[:4] = 8.0  # two children aged 6-12: one impostor pair in their cell
    table, tar = age_table_fit(
        identities=identities,
        found=np.ones(len(emb), bool),
        emb=emb,
        ages=ages,
        target_fmr=0.01,
        clusters=None,
        source="synthetic",
    )
    thin = table.cells["6-12|6-12"]
    assert thin.impostor_pairs < 100 and thin.inherited_from is not None
    assert thin.threshold == table.cells[thin.inherited_from].threshold
    data = age_table_data(table=table, tar=tar)
    assert "too few" in data["cells"]["6-12|6-12"]["note"]


def test_an_unknown_age_takes_the_most_cautious_band(cross_age_set):
    identities, emb, ages = cross_age_set
    table, _ = age_table_fit(
        identities=identities,
        found=np.ones(len(emb), bool),
        emb=emb,
        ages=ages,
        target_fmr=0.01,
        clusters=None,
        source="synthetic",
    )
    _, cell = table.cell(None, 3)
    assert cell.threshold == max(table.cells[f"{b}|18+"].threshold for b in AGE_BAND_LABELS)
    _, both_unknown = table.cell(None, None)
    assert both_unknown.threshold == max(c.threshold for c in table.cells.values())
    # The vectorised form agrees.
    matrix = table.thresholds(np.array([-1, -1]), np.array([3, -1]))
    assert matrix.tolist() == [cell.threshold, both_unknown.threshold]


def _two_groups(*, seed: int, spread_a: float, spread_b: float) -> tuple[np.ndarray, list[str]]:
    """80 people of each of two kinds of face, two photos each."""
    rng = np.random.default_rng(seed)
    a_centre, b_centre = np.zeros(DIM), np.zeros(DIM)
    a_centre[0], b_centre[1] = 3.0, 3.0
    group_a = _people(rng, n=80, photos=2, spread=spread_a, noise=0.1, centre=a_centre)
    group_b = _people(rng, n=80, photos=2, spread=spread_b, noise=0.1, centre=b_centre)
    emb = _unit(np.concatenate([group_a, group_b]))
    return emb, [f"p{i // 2}" for i in range(len(emb))]


def test_clusters_raise_the_threshold_where_strangers_look_alike():
    # Group A's strangers look alike; group B's do not. No label is given to the fit.
    emb, identities = _two_groups(seed=3, spread_a=0.4, spread_b=1.2)
    found = np.ones(len(emb), bool)
    clusters, summary = clusters_fit(
        identities=identities, found=found, emb=emb, clusters=2, target_fmr=0.01
    )
    offsets = clusters.pair_offsets(emb, emb)
    assert offsets[:160, :160].mean() > offsets[160:, 160:].mean()
    data = clusters_data(clusters=clusters, summary=summary)
    rates = Rates.from_profile_data({"clusters": data}, base_threshold=data["base_threshold"])
    rule = metrics.pair_thresholds(rates=rates, emb=emb, ages=None)
    labels = ["a"] * 160 + ["b"] * 160
    fair = metrics.group_rates(
        identities=identities, found=found, emb=emb, rule=rule, labels=labels
    )
    one = np.full(rule.shape, np.quantile((emb @ emb.T)[np.triu_indices(len(emb), 1)], 0.99))
    before = metrics.group_rates(
        identities=identities, found=found, emb=emb, rule=one, labels=labels
    )
    # Group A's excess over the overall rate shrinks, without any label at run time.
    assert fair["groups"]["a"]["times_overall"] < before["groups"]["a"]["times_overall"]


def test_rates_without_clusters_ignore_vectors_of_another_space():
    rates = Rates.from_profile_data(
        {
            "clusters": {
                "centroids": [[1.0, 0.0], [0.0, 1.0]],
                "offsets": [[0.0, 0.05], [0.05, 0.1]],
                "base_threshold": 0.5,
                "base_curve": [[0.5, 0.01]],
            }
        },
        base_threshold=0.5,
    )
    assert rates.pair_offset(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == pytest.approx(0.1)
    assert rates.pair_offset(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(0.05)
    assert rates.pair_offset(np.array([1.0, 0.0]), None) == 0.0
    assert rates.pair_offsets(np.ones((1, 3)), np.ones((2, 3))).tolist() == [[0.0, 0.0]]


def test_profiles_with_one_offset_per_face_take_the_mean_for_a_pair():
    clusters = Clusters.from_data(
        {
            "centroids": [[1.0, 0.0], [0.0, 1.0]],
            "offsets": [0.0, 0.1],
            "base_threshold": 0.5,
            "base_curve": [[0.5, 0.01]],
        }
    )
    assert clusters.offsets.tolist() == [[0.0, 0.05], [0.05, 0.1]]
    assert not clusters.adults_only


def test_cluster_pairs_lower_the_threshold_between_unlike_kinds():
    emb, identities = _two_groups(seed=5, spread_a=0.8, spread_b=0.8)
    clusters, summary = clusters_fit(
        identities=identities,
        found=np.ones(len(emb), bool),
        emb=emb,
        clusters=2,
        target_fmr=0.01,
        pairs=True,
    )
    offsets = clusters.pair_offsets(emb, emb)
    # Strangers of one kind score higher than strangers of two: a pair of one kind needs
    # more, a pair of two kinds less, which a mean of per-face offsets cannot say.
    assert offsets[0, 1] > 0 > offsets[0, 170]
    assert summary["cluster_pairs_estimated"] == 3
    assert clusters_data(clusters=clusters, summary=summary)["applies_to"] == "adults"


def test_a_pair_of_clusters_with_too_few_strangers_takes_its_clusters_mean():
    rng = np.random.default_rng(6)
    # 300 faces in cluster 0, 10 in cluster 1, 2 in cluster 2: at 1 in 1,000 only cluster
    # 0's own strangers and its pairs with cluster 1 are enough to say.
    assigned = np.array([0] * 300 + [1] * 10 + [2] * 2)
    sims = rng.uniform(0, 1, (312, 312))
    sims = (sims + sims.T) / 2
    impostor = np.triu(np.ones((312, 312), bool), k=1)
    offsets, pairs, estimated = cluster_offsets(
        assigned=assigned, sims=sims, impostor=impostor, clusters=3, target_fmr=0.001
    )
    assert estimated == 2 and pairs[0, 1] == 3000 and pairs[1, 1] == 45
    own_0 = offsets[0, 0]
    assert offsets[1, 1] == offsets[2, 2] == 0.0
    assert offsets[0, 2] == pytest.approx(own_0 / 2) and offsets[1, 2] == 0.0
    assert offsets[0, 1] == offsets[1, 0] != pytest.approx(own_0 / 2)
    # One offset per face, as before v3: every pair of clusters takes the mean.
    means, _, none = cluster_offsets(
        assigned=assigned,
        sims=sims,
        impostor=impostor,
        clusters=3,
        target_fmr=0.001,
        pairs=False,
    )
    assert none == 0 and means[0, 1] == pytest.approx(own_0 / 2) == means[0, 2]


def test_adults_clusters_leave_childrens_cells_alone():
    cells = {
        cell_key(i, j): {
            "threshold": 0.8 if i < 3 else 0.6,
            "stated_fmr": 0.001,
            "impostor_pairs": 5000,
        }
        for i in range(4)
        for j in range(i, 4)
    }
    rates = Rates.from_profile_data(
        {
            "age_cells": {"cells": cells, "target_fmr": 0.001},
            "clusters": {
                "centroids": [[1.0, 0.0], [0.0, 1.0]],
                "offsets": [[0.1, 0.0], [0.0, 0.0]],
                "base_threshold": 0.6,
                "base_curve": [[0.6, 0.001]],
                "applies_to": "adults",
            },
        },
        base_threshold=0.6,
    )
    assert rates.pair(score=0.7, age_a=30, age_b=40, offset=0.1).threshold == pytest.approx(0.7)
    assert rates.pair(score=0.7, age_a=3, age_b=40, offset=0.1).threshold == pytest.approx(0.8)
    emb = np.array([[1.0, 0.0], [1.0, 0.0]])
    bands = np.array([3, 0])
    thresholds = rates.thresholds(
        bands_a=bands[:, None], bands_b=bands[None, :], offsets=rates.pair_offsets(emb, emb)
    )
    assert thresholds[0, 0] == pytest.approx(0.7) and thresholds[0, 1] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("fmr", "cell", "words"),
    [
        (
            0.05,
            "under 6|under 6",
            "For photos of young children (under 6), faces this similar are seen between "
            "different children about 1 time in 20.",
        ),
        (
            0.001,
            "under 6|18+",
            "For photos of young children (under 6) and adults, faces this similar are seen "
            "between different people about 1 time in 1,000.",
        ),
        (
            0.00037,
            "18+|18+",
            "Faces this similar are seen between different people about 1 time in 2,700.",
        ),
    ],
)
def test_rate_words(fmr, cell, words):
    assert rate_words(fmr=fmr, cell=cell) == words


def test_rate_words_at_the_rarest_rate_measured_say_none_was_seen():
    words = rate_words(fmr=1 / 7291, cell="6-12|6-12", pairs=7291)
    assert words == (
        "For photos of children aged 6 to 12, faces this similar were not seen between "
        "different children in the 7,291 pairs measured: rarer than 1 time in 7,300."
    )
