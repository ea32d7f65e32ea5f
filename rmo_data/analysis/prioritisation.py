"""One prioritisation as the page shows it: the salience × leverage matrix, joint groups, the whole result.

* **Salience × leverage matrix** (Shift's reading of the UNGPs, with the EU
  directive's order: first what is most severe and likely, then how to act):
  each material placed by the salience of its harm (severity × likelihood,
  ``rmo_data.analysis.salience``) and by how much leverage the industry has,
  and named by its quadrant (``constants.QUADRANTS``).
* **Joint groups**: materials mined together (co- and by-products) that act as
  one supply chain.
* :func:`prioritise` scales, ranks and explains a choice of materials in one
  call, so the page can keep the whole result per materials and weights; the
  tables and the comparison of two scenarios the page draws are built here too.

All pure pandas; the criteria come from ``rmo_data.store.criteria``.  No streamlit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from rmo_data import constants
from rmo_data.analysis.gaps import gap_analysis
from rmo_data.analysis.scoring import (CriteriaData, explained, format_value, normalise, normalise_weights,
                                       ranking)


# --- salience × leverage matrix --------------------------------------------------------

def matrix_positions(raw: pd.DataFrame, initiatives: pd.Series,
                     threshold: float = 0.5) -> pd.DataFrame:
    """Place materials by salience and by the industry's leverage, and name their quadrant.

    Salience is the material's salience criterion (severity × likelihood of
    its three most salient risks, 1-25) scaled 0-1 across the materials given:
    nothing else, so the vertical axis answers the due-diligence question
    alone.  Leverage is the mean of normalised automotive share and normalised
    number of organisations and initiatives linked to the material (channels
    the industry can act through), 0-1 across the materials given.  Missing
    inputs take the median of the materials given (``scoring.normalise``) and
    are flagged.

    Parameters
    ----------
    raw : pandas.DataFrame
        Raw criteria (``CriteriaData.raw``) of the materials shown.
    initiatives : pandas.Series
        Number of linked organisations per material.
    threshold : float
        Position on each axis from which a material counts as "high".

    Returns
    -------
    pandas.DataFrame
        Index material; salience (0-1), salience_raw (1-25), leverage,
        salience_missing, leverage_missing, quadrant (slug of
        ``constants.QUADRANTS``) and missing_inputs (readable list, empty when
        every input is recorded).
    """
    inputs = pd.DataFrame({"salience": raw["salience"], "auto_share": raw["auto_share"],
                           "initiatives": initiatives.reindex(raw.index).astype(float)},
                          index=raw.index)
    norm = normalise(inputs)
    out = pd.DataFrame({
        "salience": norm["salience"],
        "salience_raw": inputs["salience"],
        "leverage": norm[["auto_share", "initiatives"]].mean(axis=1),
        "salience_missing": inputs["salience"].isna(),
        "leverage_missing": inputs[["auto_share", "initiatives"]].isna().any(axis=1),
    }, index=raw.index)
    out["quadrant"] = [quadrant_of(s, lv, threshold) for s, lv in zip(out["salience"], out["leverage"],
                                                                     strict=True)]
    names = {"salience": constants.CRITERION_LABELS["salience"].lower(),
             "auto_share": constants.CRITERION_LABELS["auto_share"].lower(), "initiatives": "linked initiatives"}
    gaps = inputs.isna().to_numpy()
    out["missing_inputs"] = [", ".join(names[c] for c, gap in zip(inputs.columns, row, strict=True) if gap)
                             for row in gaps]
    return out


def quadrant_of(salience: float, leverage: float, threshold: float = 0.5) -> str:
    """Slug of the quadrant for a position (values at the threshold count as high)."""
    high_sal, high_lev = salience >= threshold, leverage >= threshold
    return next(q.slug for q in constants.QUADRANTS if q.high_salience == high_sal and q.high_leverage == high_lev)


# --- joint (co-/by-product) groups -------------------------------------------------------

def joint_groups(links: pd.DataFrame, materials: Sequence[str]) -> pd.DataFrame:
    """Group materials that are mined together, using only the links the store holds.

    Two materials of ``materials`` join one group when a co-product or
    by-product link connects them, directly or through another material shown.
    Partners that are not materials of the app (tin, lithium, copper) are listed
    but form no group.

    Parameters
    ----------
    links : pandas.DataFrame
        ``material_link`` rows: material, linked_name, linked_slug, relation.
    materials : sequence of str
        The materials shown.

    Returns
    -------
    pandas.DataFrame
        Index material; ``group`` (label of the group, empty when the material
        shares no group), ``group_members`` (list of slugs) and ``partners``
        (readable list of every co-/by-product link of the material).
    """
    shown = list(materials)
    joint = links[links["relation"].isin(constants.JOINT_RELATIONS)] if not links.empty else links
    parent = {m: m for m in shown}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    partners: dict[str, list[str]] = {m: [] for m in shown}
    for row in joint.itertuples(index=False):
        a, b = row.material, row.linked_slug if isinstance(row.linked_slug, str) else None
        # Table cells: the vocabulary's display names for the materials; other partners as the report names them.
        name = constants.MATERIAL_LABELS.get(b, row.linked_name) if b else str(row.linked_name).lower()
        text = f"by-product of {name}" if row.relation == "by-product" else f"co-product with {name}"
        if a in partners:
            partners[a].append(text)
        if b in partners:
            other = constants.MATERIAL_LABELS.get(a, a)
            partners[b].append(f"co-product with {other}" if row.relation == "co-product"
                               else f"yields {other} as a by-product")
            if a in partners:
                parent[find(a)] = find(b)
    members: dict[str, list[str]] = {}
    for m in shown:
        members.setdefault(find(m), []).append(m)
    rows = []
    for m in shown:
        group = members[find(m)]
        rows.append({"material": m,
                     "group": " + ".join(constants.MATERIAL_LABELS.get(g, g) for g in group) if len(group) > 1 else "",
                     "group_members": group if len(group) > 1 else [m],
                     "partners": "; ".join(dict.fromkeys(partners[m]))})
    return pd.DataFrame(rows, columns=["material", "group", "group_members", "partners"]).set_index("material")


def group_ranking(ranked: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Rank joint groups (and single materials) by their most urgent member.

    A group acts as one supply chain, so it is as urgent as its highest-scoring
    member; the mean is given as well.

    Returns
    -------
    pandas.DataFrame
        One row per group: members (list of slugs), score_max, score_mean, rank.
    """
    rows, seen = [], set()
    for mat in ranked.index:
        members = tuple(groups.at[mat, "group_members"]) if mat in groups.index else (mat,)
        if members in seen:
            continue
        seen.add(members)
        present = [m for m in members if m in ranked.index]
        scores = ranked.loc[present, "score"]
        rows.append({"members": present, "score_max": float(scores.max()),
                     "score_mean": float(scores.mean())})
    out = pd.DataFrame(rows, columns=["members", "score_max", "score_mean"])
    out = out.sort_values("score_max", ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = out["score_max"].rank(ascending=False, method="min").astype(int)
    return out


# --- one ranking, everything the page shows -------------------------------------------

@dataclass(frozen=True)
class Prioritisation:
    """A ranking of some materials with given weights, and everything that explains it.

    Attributes
    ----------
    raw, detail, missing, normalised, uncertain : pandas.DataFrame
        The criteria of the materials ranked (rows in display order).
    ranked : pandas.DataFrame or None
        ``ranking()``; None when the weights rank nothing (``weight_error`` says why).
    explained : pandas.DataFrame or None
        ``explained()`` of the same inputs, with each material's ``gap_share``
        and ``gap_flag``; None with ``ranked``.
    gaps : pandas.DataFrame or None
        ``gaps.gap_analysis()`` (ranking order); None with ``ranked``.
    positions : pandas.DataFrame
        ``matrix_positions()`` (the weights do not apply to it).
    weight_error : str or None
    leave_gaps_out : bool
        The ranking leaves gaps out instead of imputing them.
    """

    raw: pd.DataFrame
    detail: pd.DataFrame
    missing: pd.DataFrame
    normalised: pd.DataFrame
    ranked: pd.DataFrame | None
    explained: pd.DataFrame | None
    positions: pd.DataFrame
    weight_error: str | None = None
    gaps: pd.DataFrame | None = None
    uncertain: pd.DataFrame | None = None
    leave_gaps_out: bool = False


@dataclass(frozen=True)
class Scaled:
    """The part of a prioritisation that the weights do not change (see ``scale``)."""

    raw: pd.DataFrame
    detail: pd.DataFrame
    missing: pd.DataFrame
    normalised: pd.DataFrame
    positions: pd.DataFrame
    uncertain: pd.DataFrame


def scale(data: CriteriaData, materials: Sequence[str]) -> Scaled:
    """Criteria of ``materials`` (slugs in ``data.raw``) scaled 0-1 across them, and their matrix positions (pure)."""
    raw = data.raw.loc[list(materials)]
    uncertain = (data.uncertain.reindex(index=raw.index, columns=raw.columns) if not data.uncertain.empty
                 else raw.isna().astype(float))
    return Scaled(raw=raw, detail=data.detail.loc[list(materials)], missing=raw.isna(), normalised=normalise(raw),
                  positions=matrix_positions(raw, data.context["n_organisations"]),
                  uncertain=uncertain.fillna(0.0).where(raw.notna(), 1.0))


def prioritise(data: CriteriaData, materials: Sequence[str], weights: Mapping[str, float],
               scaled: Scaled | None = None, leave_gaps_out: bool = False) -> Prioritisation:
    """Scale, rank and explain ``materials`` (slugs present in ``data.raw``) with ``weights`` (pure).

    The Prioritisation page needs all of these on every rerun; computing them
    in one call lets the page keep the whole result per (materials, weights).
    ``scaled`` is ``scale(data, materials)`` when the caller keeps it: a move of a
    weight then only ranks and explains.  ``leave_gaps_out`` ranks without
    imputing (``scoring.row_weights``).
    """
    base = scaled if scaled is not None else scale(data, materials)
    try:
        gaps = base.missing if leave_gaps_out else None
        ranked: pd.DataFrame | None = ranking(base.normalised, weights, gaps)
        long: pd.DataFrame | None = explained(base.raw, base.normalised, weights, base.detail,
                                              leave_gaps_out=leave_gaps_out)
        found: pd.DataFrame | None = gap_analysis(base.normalised, weights, base.missing, base.uncertain,
                                                  leave_gaps_out=leave_gaps_out)
        long = long.assign(gap_share=long["material"].map(found["gap_share"]),
                           gap_flag=long["material"].map(found["gap_flag"]))
        error = None
    except ValueError as err:
        ranked, long, found, error = None, None, None, str(err)
    return Prioritisation(raw=base.raw, detail=base.detail, missing=base.missing, normalised=base.normalised,
                          ranked=ranked, explained=long, positions=base.positions, weight_error=error,
                          gaps=found, uncertain=base.uncertain, leave_gaps_out=leave_gaps_out)


# --- the tables the Prioritisation page draws ------------------------------------------

def short_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """Short name of each material of ``labels`` for narrow charts: the constants' short name, else ``labels``'."""
    return {slug: constants.MATERIAL_SHORT.get(slug, name) for slug, name in labels.items()}


def ranking_table(ranked: pd.DataFrame, missing: pd.DataFrame, groups: pd.DataFrame,
                  labels: Mapping[str, str], gaps: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ranking as the page's table (and its CSV) shows it.

    Rank, name, score, the share of the score's weight resting on gaps or weak
    inputs (``gap_share``, 0-1), whether a top place rests on gaps
    (``gap_flag``: the sentence, "—" when not), criteria without data and
    joint group.  ``ranked`` is ``scoring.ranking()``, ``missing`` the
    missing-value mask of the criteria (``Prioritisation.missing``), ``groups``
    :func:`joint_groups`, ``gaps`` ``gaps.gap_analysis()`` (both gap columns
    are left out without it).  Empty cells read "—".
    """
    # Whole rows and columns at once: .at per cell costs ~30 µs, 30 ms with 110 materials.
    columns = list(missing.columns)
    holes = missing.loc[ranked.index, columns].to_numpy()
    joint = groups.reindex(ranked.index)
    table = pd.DataFrame({
        "rank": ranked["rank"], "name": [labels[m] for m in ranked.index],
        "score": ranked["score"],
        "missing": [", ".join(constants.CRITERION_LABELS[c] for c, gap in zip(columns, row, strict=True)
                              if gap) or "—" for row in holes],
        "joint": joint["group"].fillna("").replace("", "—").tolist(),
        "partners": joint["partners"].fillna("").replace("", "—").tolist(),
    }, index=ranked.index)
    if gaps is not None:
        found = gaps.reindex(ranked.index)
        table.insert(3, "gap_share", found["gap_share"].astype(float))
        table.insert(4, "gap_flag", found["gap_flag"].replace("", "—").fillna("—"))
    return table


def joint_table(ranked: pd.DataFrame, groups: pd.DataFrame, short: Mapping[str, str],
                names_of: Callable[[list[str]], str]) -> pd.DataFrame:
    """:func:`group_ranking` with the members as text (``names_of``) and why they are joined (``links``).

    ``short`` names each material in ``links`` (the page passes the display names: a table).
    """
    grouped = group_ranking(ranked, groups)
    grouped["members_text"] = grouped["members"].map(names_of)
    grouped["links"] = grouped["members"].map(
        lambda members: "; ".join(f"{short[m]}: {groups.at[m, 'partners']}"
                                  for m in members if groups.at[m, "partners"]) or "—")
    return grouped


def raw_values_table(raw: pd.DataFrame, order: Sequence[str], labels: Mapping[str, str]) -> pd.DataFrame:
    """Raw criterion values of the materials in ``order``, formatted with units, one column per criterion."""
    in_order = raw.loc[list(order)]
    values = pd.DataFrame(
        {f"{c.label} ({c.unit})": [format_value(c.slug, v) for v in in_order[c.slug]]
         for c in constants.CRITERIA},
        index=in_order.index)
    values.insert(0, "Material", [labels[m] for m in in_order.index])
    return values


def method_table(weights: Mapping[str, float], years: Mapping[str, Sequence[int]]) -> pd.DataFrame:
    """Every criterion with its unit, weight, share of the score, data years, source and description.

    Raises ValueError (from ``normalise_weights``) when all weights are zero.
    """
    return pd.DataFrame({
        "Criterion": [c.label for c in constants.CRITERIA], "Unit": [c.unit for c in constants.CRITERIA],
        "Weight": [weights[c.slug] for c in constants.CRITERIA],
        "Share of score": list(normalise_weights(weights, list(constants.CRITERION_SLUGS))),
        "Years": [", ".join(str(y) for y in years.get(c.slug, [])) or "not stated"
                  for c in constants.CRITERIA],
        "Source": [c.source for c in constants.CRITERIA],
        "What it measures": [c.description for c in constants.CRITERIA],
    })


def scenario_listing(saved: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Saved scenarios with their weights (``weights_text``) and materials (``materials_text``) as text.

    Table cells are not markdown, so names stay unescaped; no material means all of them.
    """
    return saved.assign(
        weights_text=saved["weights"].map(
            lambda w: ", ".join(f"{constants.CRITERION_LABELS[k]} {v}" for k, v in w.items()
                                if k in constants.CRITERION_LABELS and v)),
        materials_text=saved["materials"].map(
            lambda ms: ", ".join(labels.get(s, s) for s in ms) if ms else "all"))


def compare_rankings(normalised: pd.DataFrame, weights_a: Mapping[str, float],
                     weights_b: Mapping[str, float], labels: Mapping[str, str],
                     missing: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Ranks of the same materials under two weight sets, and how many places each moved.

    Returns material, name, rank_a, rank_b, change (rank A - rank B: places
    gained in B) and moved ("▲ n", "▼ n" or "="); None when either weight set
    ranks nothing (all weights zero).  ``missing`` leaves gaps out, as the page's check does.
    """
    try:
        ranks_a = ranking(normalised, weights_a, missing)["rank"]
        ranks_b = ranking(normalised, weights_b, missing)["rank"]
    except ValueError:
        return None
    compare = pd.DataFrame({"material": ranks_a.index, "name": [labels[m] for m in ranks_a.index],
                            "rank_a": ranks_a, "rank_b": ranks_b.reindex(ranks_a.index)})
    compare["change"] = compare["rank_a"] - compare["rank_b"]
    compare["moved"] = compare["change"].map(lambda d: f"▲ {d}" if d > 0 else (f"▼ {-d}" if d < 0 else "="))
    return compare
