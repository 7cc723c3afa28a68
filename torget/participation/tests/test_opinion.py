"""The opinion groups computation on synthetic vote matrices with planted groups."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from torget.participation import opinion


def planted(
    patterns: list[list[int | None]],
    *,
    per_group: int = 60,
    noise: float = 0.15,
    missing: float = 0.3,
    seed: int = 7,
) -> tuple[np.ndarray, np.ndarray]:
    """A vote matrix of len(patterns) groups: each participant votes their group's pattern,
    a share `noise` of their votes replaced by a random vote, a share `missing` unseen. A None
    in a pattern is a statement each participant votes on at random."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for group, pattern in enumerate(patterns):
        base = np.array([np.nan if v is None else v for v in pattern], dtype=float)
        for _ in range(per_group):
            row = base.copy()
            free = np.isnan(row)
            row[free] = rng.choice([-1.0, 0.0, 1.0], size=int(free.sum()))
            flip = rng.random(len(row)) < noise
            row[flip] = rng.choice([-1.0, 0.0, 1.0], size=int(flip.sum()))
            row[rng.random(len(row)) < missing] = np.nan
            rows.append(row)
            labels.append(group)
    return np.array(rows), np.array(labels)


# 24 statements. Statements 0-3 belong to group 0, 4-7 to group 1, 8-11 to group 2 (agreed by
# that group only); 12-13 everybody agrees with; 14 everybody disagrees with; on the rest
# each participant votes at random.
def three_patterns() -> list[list[int | None]]:
    patterns = []
    for group in range(3):
        pattern: list[int | None] = [-1] * 12 + [1, 1, -1] + [None] * 9
        for j in range(group * 4, group * 4 + 4):
            pattern[j] = 1
        patterns.append(pattern)
    return patterns


def compute(matrix: np.ndarray) -> opinion.OpinionResult:
    return opinion.compute(np.arange(len(matrix)) + 100, np.arange(matrix.shape[1]), matrix)


def labels_of(result: opinion.OpinionResult, count: int) -> list[int]:
    return [result.points[100 + i][2] for i in range(count)]


def test_three_planted_groups_are_recovered() -> None:
    matrix, truth = planted(three_patterns())
    result = compute(matrix)
    assert result.k == 3
    assert adjusted_rand_score(truth, labels_of(result, len(truth))) >= 0.9
    assert sorted(group.size for group in result.groups) == pytest.approx([60, 60, 60], abs=3)
    assert result.participants == 180
    assert result.silhouette is not None and result.silhouette > 0.5


def test_representative_statements_are_the_planted_ones() -> None:
    matrix, truth = planted(three_patterns())
    result = compute(matrix)
    found = labels_of(result, len(truth))
    for planted_group in range(3):
        # the group found for most of the planted group's members
        group = np.bincount([g for g, t in zip(found, truth, strict=True) if t == planted_group])
        agreed = {
            share.statement
            for share in result.groups[int(group.argmax())].representative
            if share.direction == "agree"
        }
        own = set(range(planted_group * 4, planted_group * 4 + 4))
        assert own <= agreed, (planted_group, agreed)


def test_statements_all_groups_agree_on_are_consensus() -> None:
    matrix, _truth = planted(three_patterns())
    result = compute(matrix)
    consensus = {(item.statement, item.direction) for item in result.consensus}
    assert {(12, "agree"), (13, "agree"), (14, "disagree")} <= consensus
    assert not {item.statement for item in result.consensus} & set(range(12))


def test_two_planted_groups_give_two() -> None:
    rng = np.random.default_rng(5)
    first: list[int | None] = [int(v) for v in rng.choice([-1, 1], size=20)]
    second: list[int | None] = [-v for v in first if v is not None]
    matrix, truth = planted([first, second], per_group=50, seed=11)
    result = compute(matrix)
    assert result.k == 2
    assert adjusted_rand_score(truth, labels_of(result, len(truth))) >= 0.9


def test_participants_with_few_votes_are_left_out_but_counted() -> None:
    matrix, _truth = planted(three_patterns())
    matrix[0, :] = np.nan
    matrix[0, :3] = 1  # three votes: fewer than 7
    result = compute(matrix)
    assert 100 not in result.points
    assert result.participants == 179
    assert result.voters == 180
    assert result.votes == int((~np.isnan(matrix)).sum())
    assert result.min_votes == 7


def test_few_statements_lower_the_vote_threshold() -> None:
    matrix = np.array([[1, -1, 1]] * 6 + [[-1, 1, -1]] * 6, dtype=float)
    result = compute(matrix)
    assert result.min_votes == 3
    assert result.participants == 12


def test_too_few_participants_make_one_group() -> None:
    matrix, _truth = planted(three_patterns(), per_group=3)
    result = compute(matrix)
    assert result.k == 1
    assert result.silhouette is None
    assert result.groups[0].size == 9


def test_no_votes_give_an_empty_result() -> None:
    result = opinion.compute(np.zeros(0), np.arange(5), np.zeros((0, 5)))
    assert result.k == 0 and result.points == {} and result.groups == []


def test_same_input_same_output_and_json() -> None:
    matrix, _truth = planted(three_patterns())
    first, second = compute(matrix), compute(matrix.copy())
    assert first.as_json() == second.as_json()
    data = first.as_json()
    assert data["k"] == 3 and len(data["points"]) == 180
    assert [group["label"] for group in data["groups"]] == ["A", "B", "C"]


def test_unlisted_statements_are_never_named() -> None:
    matrix, _truth = planted(three_patterns())
    listable = np.ones(matrix.shape[1], bool)
    listable[[0, 12]] = False
    result = opinion.compute(np.arange(180), np.arange(24), matrix, listable=listable)
    named = {share.statement for group in result.groups for share in group.representative}
    named |= {item.statement for item in result.consensus}
    assert not named & {0, 12}


def test_impute_uses_the_column_mean() -> None:
    filled = opinion.impute(np.array([[1.0, np.nan], [np.nan, np.nan], [0.0, -1.0]]))
    assert filled.tolist() == [[1.0, -1.0], [0.5, -1.0], [0.0, -1.0]]
