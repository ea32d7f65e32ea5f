"""Criterion weights from pairwise comparisons, as in the Analytic Hierarchy Process (AHP), with a consistency check (pure).

For whoever builds the pairwise input (an alternative to the weight sliders):
ask, for every pair of criteria (a, b), which matters more and by how much
on Saaty's 1–9 scale (1 equal, 3 moderately, 5 strongly, 7 very strongly,
9 extremely more important; 2, 4, 6, 8 in between), and pass the answers
to ``ahp_weights``::

    result = ahp_weights(["severity", "auto_share", "processing_hhi"],
                         {("severity", "auto_share"): 3,         # severity 3× as important
                          ("processing_hhi", "severity"): 1 / 2,  # processing half as important
                          ("auto_share", "processing_hhi"): 1})
    result.weights      # {"severity": 0.550, "auto_share": 0.210, "processing_hhi": 0.240}
    result.ratio        # consistency ratio CR
    result.warning      # "" or a plain sentence to show the participant

``result.weights`` can go straight into a submission: the group result
rescales every participant's weights to shares anyway (scale them to the
0-10 of the sliders with ``slider_weights`` if the store wants integers).

The method (Saaty 1977, 1980):

* the answers fill a positive reciprocal matrix A (``a_ij`` = how many
  times criterion i matters more than j, ``a_ji = 1 / a_ij``, ``a_ii = 1``);
  a pair left out counts as equal (1);
* the **weights** are A's principal (Perron) eigenvector, scaled to sum 1
  (``numpy.linalg.eig``);
* its eigenvalue λmax is n for perfectly consistent answers and grows
  with contradictions: the **consistency index** ``CI = (λmax − n) / (n − 1)``
  and the **consistency ratio** ``CR = CI / RI(n)``, with ``RI`` Saaty's random
  indices (the mean CI of random reciprocal matrices, ``RANDOM_INDEX``);
  for n ≤ 2 answers cannot contradict each other and CR = 0;
* CR above ``CR_LIMIT`` (0.1, Saaty's limit) gets a warning naming the
  three criteria whose answers contradict each other most: the triple with
  the largest ``|log(a_ij · a_jk / a_ik)|`` (0 when a_ik = a_ij · a_jk), put in
  the order i, j, k with a_ij ≥ 1 and a_jk ≥ 1, so that it reads "A over B,
  B over C, which makes A about a_ij · a_jk times C, but you rated …".

A participant's answer (``PairwiseAnswer``), as the pairwise input on the
phone collects it: for every pair of ``pairs(criteria)`` they say which side
counts more (``FIRST``, ``SECOND`` or ``EQUAL``) and how much, in the words of
``constants.PAIRWISE_SCALE``; ``choice_value`` turns that into the Saaty
value and ``word_choice`` turns a stored value back into the choice.  To store
an answer, ``to_dict()`` gives the JSON of the comparisons (and, for reading
it without this module, the weights and CR they give) and ``answer_shares``
the weights a submission keeps; ``from_dict`` reads the JSON back and
recomputes weights and CR from the comparisons alone.

No store, no streamlit.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rmo_data import constants

SCALE_MIN, SCALE_MAX = 1, 9
CR_LIMIT = 0.1
# Saaty's random consistency indices by matrix size (Saaty 1980), n = 1 … 10.
RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32,
                                  8: 1.41, 9: 1.45, 10: 1.49}


@dataclass(frozen=True)
class PairwiseResult:
    """Weights derived from pairwise comparisons, and how consistent the comparisons were.

    Attributes
    ----------
    weights : dict of str to float
        Criterion → weight, summing to 1, in the order given.
    lambda_max : float
        Principal eigenvalue of the comparison matrix (n when fully consistent).
    index : float
        Consistency index CI = (λmax − n) / (n − 1) (0 for n ≤ 2).
    ratio : float
        Consistency ratio CR = CI / RI (0 for n ≤ 2).
    consistent : bool
        CR ≤ ``CR_LIMIT``.
    worst_triple : tuple of str, or None
        The three criteria whose answers contradict each other most (None when consistent).
    warning : str
        "" when consistent, else a plain sentence for the participant.
    """

    weights: dict[str, float]
    lambda_max: float
    index: float
    ratio: float
    consistent: bool
    worst_triple: tuple[str, str, str] | None
    warning: str


def _check(value: float, a: str, b: str) -> float:
    """One answer on Saaty's scale (1/9 … 9), or a ValueError saying which pair is wrong."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"The comparison of {a} with {b} is not a number.") from None
    if not math.isfinite(v) or v <= 0 or not (1 / SCALE_MAX - 1e-9 <= v <= SCALE_MAX + 1e-9):
        raise ValueError(f"The comparison of {a} with {b} must be between 1/{SCALE_MAX} and {SCALE_MAX}.")
    return v


def comparison_matrix(criteria: Sequence[str], comparisons: Mapping[tuple[str, str], float]) -> np.ndarray:
    """The reciprocal matrix of ``comparisons`` ((a, b) → how many times a matters more than b).

    A pair may be given either way round (not both, unless they agree); a
    pair left out counts as 1 (equal).  Raises ValueError on an unknown
    criterion, a value off the scale or two answers for one pair that disagree.
    """
    index = {c: i for i, c in enumerate(criteria)}
    if len(index) != len(criteria):
        raise ValueError("Each criterion may appear only once.")
    a = np.ones((len(criteria), len(criteria)))
    seen: dict[frozenset[str], float] = {}
    for (x, y), value in comparisons.items():
        if x not in index or y not in index:
            raise ValueError(f"Unknown criterion in the comparison of {x} with {y}.")
        if x == y:
            raise ValueError(f"{x} cannot be compared with itself.")
        v = _check(value, x, y)
        pair = frozenset((x, y))
        as_first = v if x < y else 1 / v  # the same answer seen from the alphabetically first criterion
        if pair in seen and not math.isclose(seen[pair], as_first):
            raise ValueError(f"The comparison of {x} with {y} is given twice with different answers.")
        seen[pair] = as_first
        a[index[x], index[y]] = v
        a[index[y], index[x]] = 1 / v
    return a


def principal_eigen(matrix: np.ndarray) -> tuple[float, np.ndarray]:
    """λmax and its eigenvector scaled to sum 1 (Perron: real, positive for a positive matrix)."""
    values, vectors = np.linalg.eig(matrix)
    k = int(np.argmax(values.real))
    vector = np.abs(vectors[:, k].real)  # eig may return it times −1
    return float(values[k].real), vector / vector.sum()


def ahp_weights(criteria: Sequence[str], comparisons: Mapping[tuple[str, str], float],
                labels: Mapping[str, str] | None = None) -> PairwiseResult:
    """Weights, consistency index and ratio from pairwise comparisons (see the module docstring).

    Parameters
    ----------
    criteria : sequence of str
        The criteria compared (at least one).
    comparisons : mapping of (a, b) to float
        How many times a matters more than b, on 1/9 … 9.
    labels : mapping, optional
        Plain names of the criteria for the warning (default: the keys as given).
    """
    crits = list(criteria)
    if not crits:
        raise ValueError("Choose at least one criterion to compare.")
    n = len(crits)
    if n > max(RANDOM_INDEX):
        raise ValueError(f"Pairwise comparison works for at most {max(RANDOM_INDEX)} criteria.")
    a = comparison_matrix(crits, comparisons)
    lam, w = principal_eigen(a)
    ci = max(0.0, (lam - n) / (n - 1)) if n > 2 else 0.0
    cr = ci / RANDOM_INDEX[n] if RANDOM_INDEX[n] else 0.0
    consistent = cr <= CR_LIMIT
    worst: tuple[str, str, str] | None = None
    warning = ""
    if not consistent:
        i, j, k = _worst_triple(a)
        worst = (crits[i], crits[j], crits[k])
        warning = _warning(a, (i, j, k), [(labels or {}).get(c, c) for c in crits], cr)
    return PairwiseResult(weights={c: float(x) for c, x in zip(crits, w, strict=True)}, lambda_max=lam,
                          index=float(ci), ratio=float(cr), consistent=consistent, worst_triple=worst,
                          warning=warning)


def _worst_triple(a: np.ndarray) -> tuple[int, int, int]:
    """Indices (i, j, k) of the most contradictory triple, ordered so that a_ij ≥ 1 and a_jk ≥ 1."""
    n = len(a)
    best, found = -1.0, (0, 1, 2)
    for i, j, k in itertools.combinations(range(n), 3):
        misfit = abs(math.log(a[i, j] * a[j, k] / a[i, k]))
        if misfit > best + 1e-12:  # ties keep the first triple in the criteria's order
            best, found = misfit, (i, j, k)
    # Every triple has such an order (a tournament on three nodes has a path through all of them).
    return next(p for p in itertools.permutations(found) if a[p[0], p[1]] >= 1 and a[p[1], p[2]] >= 1)


def _times(v: float) -> str:
    """A ratio ≥ 1 in words: "3 times as important as" or "as important as"."""
    return "as important as" if math.isclose(v, 1) else f"{v:.3g} times as important as"


def _warning(a: np.ndarray, triple: tuple[int, int, int], names: Sequence[str], cr: float) -> str:
    """The plain sentence shown when the answers contradict each other."""
    i, j, k = triple
    x, y, z = names[i], names[j], names[k]
    implied = a[i, j] * a[j, k]
    said = a[i, k]
    if math.isclose(said, 1):
        rated = f"you rated {x} and {z} as equally important"
    elif said > 1:
        rated = f"you rated {x} {_times(said)} {z}"
    else:
        rated = f"you rated {z} {_times(1 / said)} {x}"
    return (f"Your answers contradict each other: you rated {x} {_times(a[i, j])} {y}, and {y} "
            f"{_times(a[j, k])} {z}, which would make {x} about {_times(implied)} {z}; but {rated}. "
            f"Consistency ratio {cr:.2f}, above the {CR_LIMIT:.2f} that AHP accepts: look at these three "
            "comparisons again.")


def slider_weights(weights: Mapping[str, float], top: int = 10) -> dict[str, int]:
    """Weights (any positive scale) as whole numbers 0-``top``, the largest at ``top`` (the sliders' form).

    Rounding loses detail (a weight under 1/20 of the largest becomes 0);
    keep the float weights when the store can hold them.
    """
    largest = max(weights.values(), default=0.0)
    if largest <= 0:
        return {c: 0 for c in weights}
    return {c: int(round(top * v / largest)) for c, v in weights.items()}


# --- a participant's answer ----------------------------------------------------------------

# Which side of a pair (a, b) counts more: a, neither, or b.
FIRST, EQUAL, SECOND = 1, 0, -1
SIDES: tuple[int, ...] = (FIRST, EQUAL, SECOND)
_WORD_VALUES: dict[str, int] = {w.word: w.value for w in constants.PAIRWISE_SCALE}


def pairs(criteria: Sequence[str]) -> list[tuple[str, str]]:
    """Every pair of ``criteria`` once, in their order: (c1, c2), (c1, c3), …, (c2, c3), …"""
    return list(itertools.combinations(criteria, 2))


def choice_value(side: int, word: str | None = None) -> float:
    """The Saaty value of "``side`` counts ``word`` than the other" for a pair (a, b).

    ``side`` is ``FIRST`` (a counts more: the word's value), ``SECOND`` (b
    counts more: its reciprocal) or ``EQUAL`` (1, whatever the word); ``word``
    is a ``constants.PAIRWISE_SCALE`` word ("Much more").
    """
    if side == EQUAL:
        return 1.0
    if side not in SIDES:
        raise ValueError(f"Unknown side {side!r}: use FIRST, EQUAL or SECOND.")
    if word not in _WORD_VALUES:
        raise ValueError(f"Unknown answer {word!r}: use one of {', '.join(_WORD_VALUES)}.")
    value = float(_WORD_VALUES[word])
    return value if side == FIRST else 1 / value


def word_choice(value: float) -> tuple[int, str]:
    """The (side, word) whose value is nearest ``value`` (on a log scale); inverse of ``choice_value``.

    Values between the words' steps (Saaty's 2, 4, 6, 8) go to the nearer
    word, a tie to the stronger one.
    """
    v = _check(value, "the first criterion", "the second")
    side = EQUAL if math.isclose(v, 1) else FIRST if v > 1 else SECOND
    strength = v if v >= 1 else 1 / v
    # Ties: iterate from the strongest word so that the first minimum found is the stronger one.
    word = min(reversed(constants.PAIRWISE_SCALE),
               key=lambda w: abs(math.log(strength) - math.log(w.value))).word
    if word == constants.PAIRWISE_SCALE[0].word:
        side = EQUAL
    return side, word


def _plain(value: float) -> float | int:
    """A ratio ≥ 1 as JSON shows it best: a whole number when it is one."""
    rounded = round(value, 6)
    return int(rounded) if rounded.is_integer() else rounded


@dataclass(frozen=True)
class PairwiseAnswer:
    """One participant's pairwise comparisons and the weights and consistency they give.

    Attributes
    ----------
    comparisons : dict of (str, str) to float
        (a, b) → how many times a counts as much as b, each pair in the order of
        ``pairs(criteria)``; pairs not compared are absent (they count as equal).
    result : PairwiseResult
        ``ahp_weights`` of the comparisons.
    """

    comparisons: dict[tuple[str, str], float]
    result: PairwiseResult

    @classmethod
    def of(cls, criteria: Sequence[str], comparisons: Mapping[tuple[str, str], float],
           labels: Mapping[str, str] | None = None) -> PairwiseAnswer:
        """The answer of ``comparisons`` (a pair may be given either way round) over ``criteria``.

        ``labels`` name the criteria in the warning (default: the app's
        criterion labels, else the keys).  Raises ValueError as ``ahp_weights`` does.
        """
        crits = list(criteria)
        result = ahp_weights(crits, comparisons, labels=constants.CRITERION_LABELS if labels is None else labels)
        ordered = {pair: i for i, pair in enumerate(pairs(crits))}
        oriented: dict[tuple[str, str], float] = {}
        for (x, y), value in comparisons.items():
            v = _check(value, x, y)  # checked by ahp_weights already; this makes it a float
            oriented[(x, y) if (x, y) in ordered else (y, x)] = v if (x, y) in ordered else 1 / v
        return cls(dict(sorted(oriented.items(), key=lambda kv: ordered[kv[0]])), result)

    @property
    def criteria(self) -> list[str]:
        """The criteria compared, in their order."""
        return list(self.result.weights)

    @property
    def complete(self) -> bool:
        """True when every pair of the criteria has been compared."""
        return all(pair in self.comparisons for pair in pairs(self.criteria))

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON-ready data: ``{"comparisons": [[a, b, value], …], "weights": …, "cr": …}``.

        Each comparison reads "a counts ``value`` times as much as b", with the
        criterion that counts more first, so that ``value`` is at least 1 (equal
        pairs keep the criteria's order).  ``weights`` are ``answer_shares``,
        ``cr`` the consistency ratio to 4 decimals; both are derived and only
        for reading the data without this module (``from_dict`` recomputes them).
        """
        rows: list[list[Any]] = []
        for (a, b), v in self.comparisons.items():
            rows.append([a, b, _plain(v)] if v >= 1 - 1e-9 else [b, a, _plain(1 / v)])
        return {"comparisons": rows, "weights": answer_shares(self), "cr": round(self.result.ratio, 4)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], criteria: Sequence[str],
                  labels: Mapping[str, str] | None = None) -> PairwiseAnswer:
        """The answer ``to_dict`` wrote, over ``criteria`` (weights and CR recomputed, not read).

        Raises ValueError when the data is not a list of ``[a, b, value]``, or
        names a criterion not in ``criteria``, or a value off the scale.
        """
        rows = d.get("comparisons") if isinstance(d, Mapping) else None
        if not isinstance(rows, list) or not all(isinstance(r, (list, tuple)) and len(r) == 3 for r in rows):
            raise ValueError("The stored pairwise answer is not a list of [criterion, criterion, value].")
        comparisons: dict[tuple[str, str], float] = {}
        for a, b, value in rows:
            if (a, b) in comparisons or (b, a) in comparisons:
                raise ValueError(f"The stored pairwise answer compares {a} with {b} twice.")
            comparisons[(str(a), str(b))] = value
        return cls.of(criteria, comparisons, labels=labels)


def answer_shares(answer: PairwiseAnswer) -> dict[str, float]:
    """The answer's weights as shares rounded to 4 decimals: what a submission stores as its weights.

    The rounded shares may miss 1 by a few ten-thousandths; the group result
    rescales every participant's weights anyway.
    """
    return {c: round(w, 4) for c, w in answer.result.weights.items()}


def submitted_answer(data: Any, criteria: Sequence[str]) -> PairwiseAnswer:
    """A participant's submitted comparisons (``to_dict`` data from the page), checked in full.

    The weights and the consistency ratio are always recomputed here, never
    taken from the page; every pair must be compared, with a number.

    Raises
    ------
    ValueError
        Nothing compared, a row that is not ``[criterion, criterion, number]``,
        an unknown criterion, a value off the scale, or a pair left out.
    """
    rows = data.get("comparisons") if isinstance(data, Mapping) else None
    if not isinstance(rows, list) or not rows:
        raise ValueError("Compare the criteria two at a time before you submit.")
    if not all(isinstance(r, list | tuple) and len(r) == 3 and isinstance(r[2], int | float)
               and not isinstance(r[2], bool) for r in rows):
        raise ValueError("A comparison could not be read: compare the criteria again.")
    try:
        answer = PairwiseAnswer.from_dict(data, criteria)
    except ValueError as err:
        raise ValueError(f"A comparison could not be read: {err}") from None
    if not answer.complete:
        raise ValueError(f"Compare every pair of criteria before you submit ({len(pairs(criteria))} pairs).")
    return answer
