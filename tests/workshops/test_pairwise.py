"""AHP weights and consistency ratio from pairwise comparisons, against values worked out by hand.

For a 3 × 3 positive reciprocal matrix the principal eigenvector is the
vector of the rows' geometric means, and with d = a12 · a23 / a13 its
eigenvalue is λmax = 1 + d^(1/3) + d^(−1/3) (Saaty): both can be computed on
paper, which is what the tests below do.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rmo_data import constants
from rmo_data.workshops import pairwise


def test_consistent_answers_give_the_ratios_and_no_warning() -> None:
    # a is 2× b, b is 2× c, a is 4× c: consistent (4 = 2 · 2).
    # Row geometric means: a (1·2·4)^(1/3) = 2, b (½·1·2)^(1/3) = 1, c (¼·½·1)^(1/3) = ½;
    # sum 3.5, so w = 2/3.5, 1/3.5, 0.5/3.5 = 4/7, 2/7, 1/7. d = 2·2/4 = 1, λmax = 1 + 1 + 1 = 3 = n,
    # CI = 0, CR = 0.
    r = pairwise.ahp_weights(["a", "b", "c"], {("a", "b"): 2, ("b", "c"): 2, ("a", "c"): 4})
    assert r.weights == pytest.approx({"a": 4 / 7, "b": 2 / 7, "c": 1 / 7})
    assert r.lambda_max == pytest.approx(3.0)
    assert r.index == pytest.approx(0.0, abs=1e-12) and r.ratio == pytest.approx(0.0, abs=1e-12)
    assert r.consistent and r.warning == "" and r.worst_triple is None


def test_contradicting_answers_give_the_hand_computed_ratio_and_a_plain_warning() -> None:
    # a is 2× b, b is 2× c, but a only equal to c (it should be 4×).
    # Rows: a = (1, 2, 1), b = (½, 1, 2), c = (1, ½, 1).
    # Geometric means: a 2^(1/3) = 1.259921, b (½·2)^(1/3) = 1, c (½)^(1/3) = 0.793701; sum 3.053622
    # → w = 0.412599, 0.327480, 0.259921.
    # d = a12·a23/a13 = 2·2/1 = 4; λmax = 1 + 4^(1/3) + 4^(−1/3) = 1 + 1.587401 + 0.629961 = 3.217362.
    # CI = (3.217362 − 3)/2 = 0.108681; RI(3) = 0.58; CR = 0.108681/0.58 = 0.187381 > 0.1.
    r = pairwise.ahp_weights(["a", "b", "c"], {("a", "b"): 2, ("b", "c"): 2, ("a", "c"): 1},
                             labels={"a": "Severity", "b": "Auto share", "c": "Processing"})
    assert r.weights == pytest.approx({"a": 0.412599, "b": 0.327480, "c": 0.259921}, abs=1e-6)
    assert r.lambda_max == pytest.approx(3.217362, abs=1e-6)
    assert r.index == pytest.approx(0.108681, abs=1e-6)
    assert r.ratio == pytest.approx(0.187381, abs=1e-6)
    assert not r.consistent and r.worst_triple == ("a", "b", "c")
    assert r.warning.startswith("Your answers contradict each other: you rated Severity 2 times as important "
                                "as Auto share, and Auto share 2 times as important as Processing, which would "
                                "make Severity about 4 times as important as Processing; but you rated "
                                "Severity and Processing as equally important.")
    assert "0.19" in r.warning


def test_a_circle_of_preferences_is_named_in_its_own_order() -> None:
    # a 3× b, b 3× c, c 3× a: a circle. All geometric means are 1 → equal weights.
    # d = 3·3/(1/3) = 27, λmax = 1 + 3 + 1/3 = 4.3333; CI = 0.6667; CR = 0.6667/0.58 = 1.1494.
    r = pairwise.ahp_weights(["a", "b", "c"], {("a", "b"): 3, ("b", "c"): 3, ("c", "a"): 3})
    assert r.weights == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    assert r.ratio == pytest.approx((13 / 3 - 3) / 2 / 0.58)
    assert "but you rated c 3 times as important as a" in r.warning


def test_a_consistent_four_by_four_and_pairs_left_out() -> None:
    # Weights 8:4:2:1 stated as every ratio → w = 8/15, 4/15, 2/15, 1/15 and λmax = 4.
    w = {"a": 8, "b": 4, "c": 2, "d": 1}
    answers = {(x, y): w[x] / w[y] for x in w for y in w if x < y}
    r = pairwise.ahp_weights(list(w), answers)
    assert r.weights == pytest.approx({k: v / 15 for k, v in w.items()})
    assert r.lambda_max == pytest.approx(4.0) and r.ratio == pytest.approx(0.0, abs=1e-9)
    # Nothing answered: every pair counts as equal.
    assert pairwise.ahp_weights(list(w), {}).weights == pytest.approx({k: 0.25 for k in w})


def test_one_or_two_criteria_cannot_contradict() -> None:
    r = pairwise.ahp_weights(["a", "b"], {("b", "a"): 3})  # b 3× a → w = ¼, ¾
    assert r.weights == pytest.approx({"a": 0.25, "b": 0.75})
    assert r.ratio == 0.0 and r.consistent
    assert pairwise.ahp_weights(["a"], {}).weights == {"a": 1.0}


def test_the_matrix_is_reciprocal_and_bad_answers_are_refused() -> None:
    a = pairwise.comparison_matrix(["a", "b"], {("a", "b"): 5})
    assert np.allclose(a, [[1, 5], [0.2, 1]])
    for bad in (0, 10, -1, 1 / 10, math.nan, "x"):
        with pytest.raises(ValueError, match="comparison of a with b"):
            pairwise.ahp_weights(["a", "b"], {("a", "b"): bad})
    with pytest.raises(ValueError, match="Unknown criterion"):
        pairwise.ahp_weights(["a", "b"], {("a", "z"): 2})
    with pytest.raises(ValueError, match="given twice"):
        pairwise.ahp_weights(["a", "b"], {("a", "b"): 2, ("b", "a"): 2})
    # The same answer from both sides is accepted.
    assert pairwise.ahp_weights(["a", "b"], {("a", "b"): 2, ("b", "a"): 0.5}).weights["a"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="at least one"):
        pairwise.ahp_weights([], {})


def test_slider_weights_scale_the_largest_to_ten() -> None:
    assert pairwise.slider_weights({"a": 4 / 7, "b": 2 / 7, "c": 1 / 7}) == {"a": 10, "b": 5, "c": 2}
    assert pairwise.slider_weights({"a": 0.0}) == {"a": 0}


# --- a participant's answer: the word scale, the pairs, the stored form ----------------------------

def test_pairs_lists_every_pair_once_in_the_criteria_order() -> None:
    assert pairwise.pairs(["a", "b", "c", "d"]) == [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"),
                                                    ("b", "d"), ("c", "d")]
    assert pairwise.pairs(["a"]) == [] and len(pairwise.pairs(list("abcdef"))) == 15


def test_the_words_map_to_saaty_values_and_back() -> None:
    assert [w.value for w in constants.PAIRWISE_SCALE] == [1, 3, 5, 7, 9]
    assert pairwise.choice_value(pairwise.FIRST, "Much more") == 7
    assert pairwise.choice_value(pairwise.SECOND, "A little more") == pytest.approx(1 / 3)
    assert pairwise.choice_value(pairwise.EQUAL) == 1 == pairwise.choice_value(pairwise.EQUAL, "Much more")
    with pytest.raises(ValueError, match="Unknown answer"):
        pairwise.choice_value(pairwise.FIRST, "Loads more")
    with pytest.raises(ValueError, match="Unknown side"):
        pairwise.choice_value(2, "Much more")
    # Back: every word from both sides, and values between the words to the nearer one on a log scale:
    # 2 is log 2 = 0.69 from 1 and log 1.5 = 0.41 from 3 → "A little"; 4 is 0.29 from 3, 0.22 from 5.
    for w in constants.PAIRWISE_SCALE[1:]:
        assert pairwise.word_choice(w.value) == (pairwise.FIRST, w.word)
        assert pairwise.word_choice(1 / w.value) == (pairwise.SECOND, w.word)
    assert pairwise.word_choice(1) == (pairwise.EQUAL, "Equal")
    assert pairwise.word_choice(1.2) == (pairwise.EQUAL, "Equal")
    assert pairwise.word_choice(2) == (pairwise.FIRST, "A little more")
    assert pairwise.word_choice(1 / 4) == (pairwise.SECOND, "Clearly more")


def test_consistent_words_give_the_hand_computed_weights() -> None:
    # a counts a little more than b (3), a little more than c (3), b and c equal: a = 3b = 3c,
    # so w = 3/5, 1/5, 1/5 (row geometric means 9^(1/3), 3^(-1/3), 3^(-1/3) in the same ratio),
    # λmax = 3 and CR = 0.  The pairs are given as a participant might: one of them backwards.
    v = pairwise.choice_value
    answer = pairwise.PairwiseAnswer.of(["a", "b", "c"], {
        ("a", "b"): v(pairwise.FIRST, "A little more"),
        ("c", "a"): v(pairwise.SECOND, "A little more"),  # c vs a, a counts more
        ("b", "c"): v(pairwise.EQUAL)})
    assert answer.comparisons == {("a", "b"): 3, ("a", "c"): 3, ("b", "c"): 1}  # in the pairs' order
    assert list(answer.comparisons) == pairwise.pairs(["a", "b", "c"])
    assert answer.result.weights == pytest.approx({"a": 0.6, "b": 0.2, "c": 0.2})
    assert answer.result.ratio == pytest.approx(0.0, abs=1e-9) and answer.result.warning == ""
    assert answer.complete and answer.criteria == ["a", "b", "c"]
    assert pairwise.answer_shares(answer) == {"a": 0.6, "b": 0.2, "c": 0.2}
    assert not pairwise.PairwiseAnswer.of(["a", "b", "c"], {("a", "b"): 3}).complete


def test_an_inconsistent_circle_of_words_warns_with_the_hand_computed_ratio() -> None:
    # a clearly more than b (5), b clearly more than c (5), but c a little more than a (3).
    # Rows a = (1, 5, 1/3), b = (1/5, 1, 5), c = (3, 1/5, 1); geometric means (5/3)^(1/3) = 1.185631,
    # 1, (3/5)^(1/3) = 0.843433; sum 3.029064 → w = 0.391418, 0.330135, 0.278447.
    # d = a12·a23/a13 = 5·5·3 = 75; λmax = 1 + 75^(1/3) + 75^(−1/3) = 1 + 4.217163 + 0.237126 = 5.454289;
    # CI = 2.454289/2 = 1.227145; CR = 1.227145/0.58 = 2.115767.
    v = pairwise.choice_value
    answer = pairwise.PairwiseAnswer.of(["auto_share", "mining_hhi", "severity"], {
        ("auto_share", "mining_hhi"): v(pairwise.FIRST, "Clearly more"),
        ("mining_hhi", "severity"): v(pairwise.FIRST, "Clearly more"),
        ("auto_share", "severity"): v(pairwise.SECOND, "A little more")})
    r = answer.result
    assert r.weights == pytest.approx({"auto_share": 0.391418, "mining_hhi": 0.330135, "severity": 0.278447},
                                      abs=1e-6)
    assert r.ratio == pytest.approx(2.115767, abs=1e-6) and r.ratio > pairwise.CR_LIMIT
    # The warning names the criteria by the app's labels (the default of PairwiseAnswer.of).
    assert r.warning.startswith("Your answers contradict each other: you rated Automotive share 5 times as "
                                "important as Mining concentration")
    assert "Evidence severity" in r.warning and "2.12" in r.warning
    assert answer.to_dict()["cr"] == 2.1158


def test_to_dict_is_json_ready_and_from_dict_reads_it_back() -> None:
    crits = ["a", "b", "c", "d"]
    # Weights 4:2:2:1 (b and c equal) stated as every ratio; two of them are not on the word scale.
    w = {"a": 4, "b": 2, "c": 2, "d": 1}
    answer = pairwise.PairwiseAnswer.of(crits, {(y, x): w[y] / w[x] for x, y in pairwise.pairs(crits)})
    d = answer.to_dict()
    assert json.loads(json.dumps(d)) == d
    # The criterion that counts more comes first, so every value is at least 1; equal pairs keep the order.
    assert d["comparisons"] == [["a", "b", 2], ["a", "c", 2], ["a", "d", 4], ["b", "c", 1], ["b", "d", 2],
                                ["c", "d", 2]]
    assert d["weights"] == {"a": 0.4444, "b": 0.2222, "c": 0.2222, "d": 0.1111}  # 4/9, 2/9, 2/9, 1/9
    assert d["cr"] == 0.0
    back = pairwise.PairwiseAnswer.from_dict(d, crits)
    assert back.comparisons == pytest.approx(answer.comparisons)
    assert back.result.weights == pytest.approx(answer.result.weights)
    # Only the comparisons are read: weights and CR in the data are recomputed.
    forged = {**d, "weights": {"a": 1.0}, "cr": 0.0}
    assert pairwise.PairwiseAnswer.from_dict(forged, crits).result.weights == pytest.approx(answer.result.weights)


def test_from_dict_refuses_what_it_cannot_read() -> None:
    crits = ["a", "b"]
    for bad in ({}, {"comparisons": "a>b"}, {"comparisons": [["a", "b"]]}, []):
        with pytest.raises(ValueError, match="not a list"):
            pairwise.PairwiseAnswer.from_dict(bad, crits)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="twice"):
        pairwise.PairwiseAnswer.from_dict({"comparisons": [["a", "b", 3], ["b", "a", 3]]}, crits)
    with pytest.raises(ValueError, match="Unknown criterion"):
        pairwise.PairwiseAnswer.from_dict({"comparisons": [["a", "z", 3]]}, crits)
    with pytest.raises(ValueError, match="between 1/9 and 9"):
        pairwise.PairwiseAnswer.from_dict({"comparisons": [["a", "b", 12]]}, crits)
