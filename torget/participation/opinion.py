"""Opinion groups from short-view votes, computed as Polis does. Pure numpy/scikit-learn: no ORM.

Input: a participants × statements matrix of votes, +1 agree, -1 disagree, 0 pass, NaN unseen,
with the participants' and statements' ids. The steps, each a documented choice:

1. Participants with fewer than `min_votes` votes are left out of the clustering (their votes
   still count in the totals). `min_votes` is 7 (as Polis), or the number of statements when a
   process has fewer than 7, so that with 3 statements those who voted on all 3 take part.
2. Unseen cells are imputed with the column mean of the votes the kept participants cast on
   that statement (as Polis; 0 for a statement nobody kept has voted on).
3. PCA to two components (sklearn `PCA(n_components=2, svd_solver="full")`, deterministic).
4. k-means for k = 2..5 (sklearn `KMeans(random_state=0, n_init=4)`) on the two components,
   each scored by the silhouette (sklearn `silhouette_score`, Euclidean, on distances computed
   once for all k up to PRECOMPUTE_LIMIT participants); the best score wins,
   the smaller k on a tie. With fewer than `MIN_PARTICIPANTS` kept participants, with fewer than
   2 statements, or when every point is the same, everybody is one group (k = 1).
   Groups are labelled A, B, C … from the largest down (ties: by the centroid's x, then y).
5. Representative statements of a group (Polis "repness"). For group g and statement s, with
   n = the group's votes on s (agree + disagree + pass), a = its agrees, d = its disagrees, and
   the same counted over everybody outside g (n', a', d'):
     pa = (a + 1) / (n + 2)   and   pa' = (a' + 1) / (n' + 2)   (Laplace smoothing)
     ra = pa / pa'            (how much more the group agrees than the others)
     z  = the two-proportion z statistic of (a + 1)/(n + 1) against (a' + 1)/(n' + 1), with the
          pooled proportion (a + a' + 2)/(n + n' + 2) — Polis' `two-prop-test`.
   s represents g by agreement when pa > 0.5, ra > 1 and z >= 1.645 (one-sided 95 %); its
   score is ra × pa. The same with d for disagreement. A statement counts once per group (the
   direction with the higher score); the group's list is the best `MAX_REPRESENTATIVE` by
   score (ties by statement id).
6. Consensus statements: those whose smoothed agree probability pa is >= 0.6 in every group
   (consensus agree), or whose smoothed disagree probability pd is >= 0.6 in every group
   (consensus disagree); ranked by the lowest group's probability, at most `MAX_CONSENSUS`.

The same input gives the same output (fixed random state, stable sorts).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances, silhouette_score

MIN_VOTES = 7
MIN_PARTICIPANTS = 10
K_RANGE = range(2, 6)
RANDOM_STATE = 0
N_INIT = 4
PRECOMPUTE_LIMIT = 3000  # participants: a 3,000 × 3,000 distance matrix is 72 MB
Z_90 = 1.2816
Z_95 = 1.6449
CONSENSUS_SHARE = 0.6
MAX_REPRESENTATIVE = 5
MAX_CONSENSUS = 10
GROUP_LABELS = "ABCDE"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class StatementShare:
    """How one group voted on one statement, and how everybody else did."""

    statement: int
    direction: str  # "agree" or "disagree"
    votes: int
    agree: float
    disagree: float
    passed: float
    votes_outside: int
    agree_outside: float
    disagree_outside: float
    probability: float
    ratio: float
    z: float


@dataclass(frozen=True)
class Group:
    label: str
    size: int
    representative: list[StatementShare] = field(default_factory=list)


@dataclass(frozen=True)
class Consensus:
    statement: int
    direction: str
    lowest: float  # the smoothed probability of the least convinced group
    agree: float  # raw shares over everybody who voted on it
    disagree: float
    votes: int


@dataclass(frozen=True)
class OpinionResult:
    """What `compute` found. `points` maps each clustered participant to (x, y, group index)."""

    k: int
    silhouette: float | None
    participants: int  # clustered (with at least min_votes votes)
    voters: int  # everybody with at least one vote
    votes: int
    statements: int
    min_votes: int
    points: dict[int, tuple[float, float, int]]
    groups: list[Group]
    consensus: list[Consensus]

    def as_json(self) -> dict[str, Any]:
        """A plain dict for a JSONField (points as [id, x, y, group] lists, compact)."""
        return {
            "version": 1,
            "k": self.k,
            "silhouette": self.silhouette,
            "participants": self.participants,
            "voters": self.voters,
            "votes": self.votes,
            "statements": self.statements,
            "min_votes": self.min_votes,
            "points": [[pid, x, y, g] for pid, (x, y, g) in self.points.items()],
            "groups": [asdict(group) for group in self.groups],
            "consensus": [asdict(item) for item in self.consensus],
        }


def min_votes_for(statement_count: int) -> int:
    """The votes a participant needs to be clustered: 7, or all statements when fewer."""
    return max(1, min(MIN_VOTES, statement_count))


def impute(matrix: FloatArray) -> FloatArray:
    """Unseen (NaN) cells replaced by their column's mean vote (0 for a column with none)."""
    seen = ~np.isnan(matrix)
    counts = seen.sum(axis=0)
    sums = np.where(seen, matrix, 0.0).sum(axis=0)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return np.where(seen, matrix, means)


def project(filled: FloatArray) -> FloatArray:
    """The participants' two principal components."""
    return np.asarray(
        PCA(n_components=2, svd_solver="full", random_state=RANDOM_STATE).fit_transform(filled)
    )


def cluster(points: FloatArray) -> tuple[IntArray, float | None]:
    """k-means labels for the k in K_RANGE with the best silhouette, and that silhouette."""
    n = len(points)
    if n < MIN_PARTICIPANTS or np.ptp(points, axis=0).max(initial=0.0) == 0.0:
        return np.zeros(n, dtype=np.int64), None
    best: tuple[float, IntArray] | None = None
    distinct = len(np.unique(points.round(9), axis=0))
    # The distances between participants do not depend on k: computed once, they serve every
    # k's silhouette (the same scores as silhouette_score(points, labels)); above
    # PRECOMPUTE_LIMIT participants the matrix would take too much memory.
    distances = pairwise_distances(points) if n <= PRECOMPUTE_LIMIT else None
    for k in K_RANGE:
        if k >= n or k > distinct:
            break
        labels = KMeans(n_clusters=k, random_state=RANDOM_STATE, n_init=N_INIT).fit_predict(points)
        if len(np.unique(labels)) < 2:
            continue
        if distances is not None:
            score = float(silhouette_score(distances, labels, metric="precomputed"))
        else:
            score = float(silhouette_score(points, labels))
        if best is None or score > best[0]:
            best = (score, labels.astype(np.int64))
    if best is None:
        return np.zeros(n, dtype=np.int64), None
    return best[1], best[0]


def _relabel(labels: IntArray, points: FloatArray) -> IntArray:
    """Labels 0, 1, … from the largest group down (ties by centroid x, then y): stable names."""
    keys = []
    for label in np.unique(labels):
        members = points[labels == label]
        centre = members.mean(axis=0)
        keys.append((-len(members), float(centre[0]), float(centre[1]), int(label)))
    order = {old: new for new, (*_, old) in enumerate(sorted(keys))}
    return np.array([order[int(label)] for label in labels], dtype=np.int64)


def _two_prop_z(
    succ_in: FloatArray, n_in: FloatArray, succ_out: FloatArray, n_out: FloatArray
) -> FloatArray:
    """Polis' two-proportion test, every count plus one."""
    s1, s2, p1, p2 = succ_in + 1, succ_out + 1, n_in + 1, n_out + 1
    pooled = (s1 + s2) / (p1 + p2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / p1 + 1 / p2))
    return np.divide(s1 / p1 - s2 / p2, spread, out=np.zeros_like(spread), where=spread > 0)


def _share(part: Any, whole: Any) -> float:
    """part ÷ whole for two counts, 0 when there is no whole."""
    return float(part) / float(whole) if whole > 0 else 0.0


def compute(
    participant_ids: npt.ArrayLike,
    statement_ids: npt.ArrayLike,
    matrix: npt.ArrayLike,
    *,
    listable: npt.ArrayLike | None = None,
) -> OpinionResult:
    """The opinion groups of a vote matrix (rows: participants, columns: statements).

    `listable` (booleans per statement, default all) says which statements may be named as
    representative or consensus (e.g. not withdrawn ones, whose votes still count).
    """
    pids = np.asarray(participant_ids, dtype=np.int64)
    sids = np.asarray(statement_ids, dtype=np.int64)
    votes = np.asarray(matrix, dtype=np.float64).reshape(len(pids), len(sids))
    shown = np.ones(len(sids), bool) if listable is None else np.asarray(listable, bool)
    seen = ~np.isnan(votes)
    per_participant = seen.sum(axis=1)
    min_votes = min_votes_for(len(sids))
    keep = per_participant >= min_votes
    kept = votes[keep]
    kept_ids = pids[keep]
    n = len(kept)
    if n == 0:
        return OpinionResult(
            k=0,
            silhouette=None,
            participants=0,
            voters=int((per_participant > 0).sum()),
            votes=int(seen.sum()),
            statements=len(sids),
            min_votes=min_votes,
            points={},
            groups=[],
            consensus=[],
        )
    filled = impute(kept)
    # PCA needs some spread: when everybody voted alike, all stand at the origin.
    varied = len(sids) >= 2 and n >= 2 and bool(np.ptp(filled, axis=0).max() > 0)
    points = project(filled) if varied else np.zeros((n, 2))
    labels, silhouette = cluster(points)
    labels = _relabel(labels, points)
    k = int(labels.max()) + 1

    # Counts per group and statement: (k × statements) each.
    kept_seen = ~np.isnan(kept)
    onehot = (labels[:, None] == np.arange(k)[None, :]).astype(np.float64)  # n × k
    n_in = onehot.T @ kept_seen.astype(np.float64)
    a_in = onehot.T @ (kept == 1).astype(np.float64)
    d_in = onehot.T @ (kept == -1).astype(np.float64)
    n_out, a_out, d_out = n_in.sum(0) - n_in, a_in.sum(0) - a_in, d_in.sum(0) - d_in

    pa, pd = (a_in + 1) / (n_in + 2), (d_in + 1) / (n_in + 2)
    pa_out, pd_out = (a_out + 1) / (n_out + 2), (d_out + 1) / (n_out + 2)
    ra, rd = pa / pa_out, pd / pd_out
    za, zd = _two_prop_z(a_in, n_in, a_out, n_out), _two_prop_z(d_in, n_in, d_out, n_out)
    score_a = np.where((pa > 0.5) & (ra > 1) & (za >= Z_95) & shown, ra * pa, 0.0)
    score_d = np.where((pd > 0.5) & (rd > 1) & (zd >= Z_95) & shown, rd * pd, 0.0)

    groups: list[Group] = []
    for g in range(k):
        candidates: list[tuple[float, int, str]] = []
        for j in range(len(sids)):
            best = max((score_a[g, j], "agree"), (score_d[g, j], "disagree"))
            if best[0] > 0:
                candidates.append((-best[0], int(sids[j]), best[1]))
        candidates.sort()
        index = {int(s): j for j, s in enumerate(sids)}
        chosen = []
        for _neg, sid, direction in candidates[:MAX_REPRESENTATIVE]:
            j = index[sid]
            agree = direction == "agree"
            chosen.append(
                StatementShare(
                    statement=sid,
                    direction=direction,
                    votes=int(n_in[g, j]),
                    agree=_round(_share(a_in[g, j], n_in[g, j])),
                    disagree=_round(_share(d_in[g, j], n_in[g, j])),
                    passed=_round(_share(n_in[g, j] - a_in[g, j] - d_in[g, j], n_in[g, j])),
                    votes_outside=int(n_out[g, j]),
                    agree_outside=_round(_share(a_out[g, j], n_out[g, j])),
                    disagree_outside=_round(_share(d_out[g, j], n_out[g, j])),
                    probability=_round(pa[g, j] if agree else pd[g, j]),
                    ratio=_round(ra[g, j] if agree else rd[g, j]),
                    z=_round(za[g, j] if agree else zd[g, j]),
                )
            )
        groups.append(
            Group(label=GROUP_LABELS[g], size=int((labels == g).sum()), representative=chosen)
        )

    consensus: list[tuple[float, int, str]] = []
    low_a, low_d = pa.min(axis=0), pd.min(axis=0)
    for j in range(len(sids)):
        if not shown[j]:
            continue
        if low_a[j] >= CONSENSUS_SHARE:
            consensus.append((-float(low_a[j]), int(sids[j]), "agree"))
        elif low_d[j] >= CONSENSUS_SHARE:
            consensus.append((-float(low_d[j]), int(sids[j]), "disagree"))
    consensus.sort()
    total_n, total_a, total_d = n_in.sum(0), a_in.sum(0), d_in.sum(0)
    index = {int(s): j for j, s in enumerate(sids)}
    return OpinionResult(
        k=k,
        silhouette=None if silhouette is None else _round(silhouette),
        participants=n,
        voters=int((per_participant > 0).sum()),
        votes=int(seen.sum()),
        statements=len(sids),
        min_votes=min_votes,
        points={
            int(pid): (_round(x, 4), _round(y, 4), int(g))
            for pid, (x, y), g in zip(kept_ids, points, labels, strict=True)
        },
        groups=groups,
        consensus=[
            Consensus(
                statement=sid,
                direction=direction,
                lowest=_round(-neg),
                agree=_round(_share(total_a[index[sid]], total_n[index[sid]])),
                disagree=_round(_share(total_d[index[sid]], total_n[index[sid]])),
                votes=int(total_n[index[sid]]),
            )
            for neg, sid, direction in consensus[:MAX_CONSENSUS]
        ],
    )


def _round(value: Any, digits: int = 3) -> float:
    number = float(value)
    return 0.0 if math.isnan(number) else round(number, digits)
