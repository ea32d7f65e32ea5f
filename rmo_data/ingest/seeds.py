"""Read and validate the curated seed files in ``rmo_data/seed/``.

Each file has a pydantic row model.  Validation collects every problem with
its file, line, column and message instead of stopping at the first one, so a
curator can fix a file in one pass.  Cross-file checks (unknown source ids,
unknown organisations, shares of one basis adding up past 100) run after the
row checks.

Long because: one row model per seed file and the cross-file checks read best side by side, so a
curator finds every rule of the seed files in one place.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from rmo_data import constants

SEED_DIR = Path(__file__).resolve().parents[1] / "seed"


@dataclass(frozen=True)
class Problem:
    """One validation problem, located precisely enough to fix by hand."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class SeedError(ValueError):
    """Raised when seed or source files are invalid; lists every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the input files:\n{shown}{more}")


# --- cell parsers ------------------------------------------------------------

def _blank_to_none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    return value.strip() if isinstance(value, str) else value


def _split_list(value: Any) -> list[str]:
    value = _blank_to_none(value)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _parse_bool(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None:
        return False
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in {"true", "yes", "1"}:
            return True
        if lowered in {"false", "no", "0"}:
            return False
    return value


Opt = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptInt = Annotated[int | None, BeforeValidator(_blank_to_none)]
OptFloat = Annotated[float | None, BeforeValidator(_blank_to_none)]
Req = Annotated[str, BeforeValidator(_blank_to_none), Field(min_length=1)]
SlugList = Annotated[list[str], BeforeValidator(_split_list)]
Flag = Annotated[bool, BeforeValidator(_parse_bool)]
Bound = Literal["eq", "approx", "ge", "le"]
Rating = Annotated[int, Field(ge=1, le=5)]
YearBasis = Annotated[str | None, BeforeValidator(_blank_to_none),
                      AfterValidator(lambda v: _year_basis(v))]


def _year_basis(value: str | None) -> str | None:
    if value is not None and value not in constants.YEAR_BASIS_SLUGS:
        raise ValueError(f"unknown year basis {value!r}; expected one of: "
                         f"{', '.join(constants.YEAR_BASIS_SLUGS)}")
    return value


def _confidence(value: str | None) -> str | None:
    if value is not None and value not in constants.CONFIDENCE_SLUGS:
        raise ValueError(f"unknown confidence {value!r}; expected one of: {', '.join(constants.CONFIDENCE_SLUGS)}")
    return value


def _passage_slug(value: str | None) -> str | None:
    """A passage id is a short slug (it is stored in a 64-character column and grouped on)."""
    if value is not None and (len(value) > 64 or not all(c.isalnum() or c in "-_" for c in value)):
        raise ValueError("a passage is a slug of letters, digits, '-' or '_', at most 64 characters")
    return value


def _year_needs_basis(year: int | None, basis: str | None) -> None:
    """A year says what it rests on; a basis without a year means nothing."""
    if year is not None and basis is None:
        raise ValueError("year is set but year_basis is empty")
    if year is None and basis is not None:
        raise ValueError("year_basis is set but year is empty")


def _check_members(values: Iterable[str], allowed: Iterable[str], what: str) -> None:
    allowed_set = set(allowed)
    unknown = [v for v in values if v not in allowed_set]
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(map(repr, unknown))}; "
                         f"expected one of: {', '.join(sorted(allowed_set))}")


def _one_of(allowed: Iterable[str], what: str) -> AfterValidator:
    """A validator accepting one slug (or a list of slugs) from ``allowed``."""
    choices = tuple(allowed)

    def check(value: Any) -> Any:
        _check_members(value if isinstance(value, list) else [value], choices, what)
        return value

    return AfterValidator(check)


def _not_empty(what: str) -> AfterValidator:
    def check(value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"at least one {what} is required")
        return value

    return AfterValidator(check)


MaterialSlug = Annotated[Req, _one_of(constants.MATERIAL_SLUGS, "material")]
MaterialOrCross = Annotated[Req, _one_of((*constants.MATERIAL_SLUGS, constants.CROSS_MATERIAL), "material")]
StageSlug = Annotated[Req, _one_of(constants.STAGE_SLUGS, "stage")]
RiskSlug = Annotated[Req, _one_of(constants.RISK_CATEGORY_SLUGS, "risk category")]
StageList = Annotated[SlugList, _one_of(constants.STAGE_SLUGS, "stage")]
RequiredStages = Annotated[StageList, _not_empty("stage")]
RiskList = Annotated[SlugList, _one_of(constants.RISK_CATEGORY_SLUGS, "risk category")]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: Req
    section: Opt = None


class MaterialScoped(_Row):
    """A row tied to one of the materials (not cross-material)."""

    material: MaterialSlug


class MaybeCross(_Row):
    """A row tied to a material or to all of them (``cross``)."""

    material: MaterialOrCross


class SourceRow(BaseModel):
    """A row of ``sources.csv``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: Req
    title: Req
    publisher: Req
    year: OptInt = None
    url: Opt = None
    licence: Opt = None
    kind: Literal["report", "dataset", "cited", "regulation"]
    feeds: Opt = None
    note: Opt = None


class LinkRow(BaseModel):
    """A co-/by-product or input link inside ``materials.yaml``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    linked_name: Req
    linked_slug: Annotated[Opt, _one_of((*constants.MATERIAL_SLUGS, None), "linked material")] = None
    relation: Literal["co-product", "by-product", "host metal", "input to", "used with"]
    note: Opt = None
    source: Req
    section: Opt = None


class MaterialRow(_Row):
    """An entry of ``materials.yaml``."""

    slug: MaterialSlug
    ore: Opt = None
    summary: Req
    automotive_uses: Req
    automotive_relevance: Opt = None
    links: list[LinkRow] = []


class EndUseRow(MaterialScoped):
    """A row of ``end_use_shares.csv``."""

    sector: Req
    share_pct: float = Field(ge=0, le=100)
    bound: Bound = "eq"
    is_automotive: Flag = False
    basis: Req
    scope: Literal["global", "US", "EU"]
    year: OptInt = None
    note: Opt = None


class ConcentrationRow(MaterialScoped):
    """A row of ``concentration_statements.csv``."""

    stage: StageSlug
    level: Literal["country", "company"]
    subject: Req
    share_pct: OptFloat = Field(default=None, ge=0, le=100)
    bound: Annotated[Bound | None, BeforeValidator(_blank_to_none)] = None
    statement: Req
    year: OptInt = None
    year_basis: YearBasis = None
    country: Opt = None

    @model_validator(mode="after")
    def _bound_needs_figure(self) -> ConcentrationRow:
        # A statement without a figure has no bound; one with a figure reads "as stated" by default.
        if self.share_pct is None and self.bound is not None:
            raise ValueError("bound is set but share_pct is empty")
        if self.share_pct is not None and self.bound is None:
            self.bound = "eq"
        _year_needs_basis(self.year, self.year_basis)
        if self.country and self.level != "country":
            raise ValueError("country is set on a company statement; leave it empty")
        return self


class CompanyRow(MaterialScoped):
    """A row of ``companies.csv``."""

    name: Req
    role: Req
    stages: StageList = []
    country: Opt = None
    note: Opt = None


class SalientRiskRow(MaybeCross):
    """A row of ``salient_risks.csv``."""

    category: RiskSlug
    stages: RequiredStages
    summary: Req


class EvidenceRow(MaterialScoped):
    """A row of ``risk_evidence.csv``."""

    id: Req
    stage: StageSlug
    category: RiskSlug
    country: Opt = None
    company: Opt = None
    site: Opt = None
    year: OptInt = Field(default=None, ge=1900, le=2100)
    scale: Rating
    scope: Rating
    irremediability: Rating
    summary: Req
    url: Opt = None
    # How firmly the report supports the case, why, and the passage it shares with other cases
    # (empty = a passage of its own).  Optional here so an editor's older upload file still
    # reads; the seed file must give confidence and its reason (cross_check).
    confidence: Annotated[Opt, AfterValidator(_confidence)] = None
    confidence_reason: Opt = None
    passage: Annotated[Opt, AfterValidator(_passage_slug)] = None

    @model_validator(mode="after")
    def _reason_with_confidence(self) -> EvidenceRow:
        if self.confidence is not None and not self.confidence_reason:
            raise ValueError("confidence is set but confidence_reason is empty: say why in one sentence")
        if self.confidence_reason and self.confidence is None:
            raise ValueError("confidence_reason is set but confidence is empty")
        return self


class OrganisationRow(_Row):
    """A row of ``organisations.csv``."""

    slug: Req
    name: Req
    acronym: Opt = None
    type: Annotated[Req, _one_of(constants.ORGANISATION_TYPE_SLUGS, "organisation type")]
    materials: SlugList
    is_material_standard: Flag = False
    description: Req
    url: Opt = None

    @field_validator("materials")
    @classmethod
    def _materials(cls, v: list[str]) -> list[str]:
        if v == ["all"]:
            return list(constants.MATERIAL_SLUGS)
        _check_members(v, constants.MATERIAL_SLUGS, "material")
        return v


class LeverageRow(MaybeCross):
    """A row of ``leverages.csv``."""

    id: Req
    category: Annotated[Req, _one_of(constants.LEVERAGE_CATEGORY_SLUGS, "leverage category")]
    actor: Annotated[Req, _one_of(constants.ACTOR_SLUGS, "actor")]
    targets: Annotated[SlugList, _one_of(constants.TARGET_SLUGS, "target"), _not_empty("target")]
    stages: RequiredStages
    risks: RiskList = []
    organisations: SlugList = []
    title: Req
    action: Req
    section: Req  # type: ignore[assignment]  # required here: cards show it


class OtherSectorRow(MaterialScoped):
    """A row of ``other_sectors.csv``."""

    sector: Req
    note: Opt = None


class MaterialFactRow(MaybeCross):
    """A row of ``material_facts.csv``: a figure the report states only in its text."""

    metric: Req
    value_low: OptFloat = None
    value_high: OptFloat = None
    bound: Annotated[Bound | None, BeforeValidator(_blank_to_none)] = None
    unit: Req
    year: OptInt = Field(default=None, ge=1900, le=2100)
    year_basis: YearBasis = None
    statement: Req
    note: Opt = None

    @model_validator(mode="after")
    def _figures(self) -> MaterialFactRow:
        if self.value_low is None and (self.value_high is not None or self.bound is not None):
            raise ValueError("value_high or bound is set but value_low is empty")
        if self.value_low is not None and self.value_high is not None and self.value_high < self.value_low:
            raise ValueError("value_high is below value_low")
        if self.value_low is not None and self.bound is None:
            self.bound = "eq"
        _year_needs_basis(self.year, self.year_basis)
        return self


class ReportThemeRow(_Row):
    """A row of ``report_themes.csv``: a summary recommendation or cross-cutting point of the report."""

    slug: Req
    kind: Annotated[Req, _one_of(constants.REPORT_THEME_KIND_SLUGS, "theme kind")]
    title: Req
    summary: Req


class RegulatoryListingRow(MaterialScoped):
    """A row of ``regulatory_listings.csv``: a material's entry in an EU list."""

    regulation: Annotated[Req, _one_of(constants.REGULATION_SLUGS, "regulation")]
    listing: Req
    note: Opt = None


class CountryAliasRow(BaseModel):
    """A row of ``country_aliases.csv``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Req
    iso3: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class CommodityRow(BaseModel):
    """A row of ``commodities.csv``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    slug: Req
    material: MaterialSlug
    stage: StageSlug
    name: Req
    unit: Req
    is_primary: Flag = False
    note: Opt = None


# file name -> (row model, kind)
CSV_FILES: dict[str, type[BaseModel]] = {
    "sources.csv": SourceRow,
    "end_use_shares.csv": EndUseRow,
    "concentration_statements.csv": ConcentrationRow,
    "companies.csv": CompanyRow,
    "salient_risks.csv": SalientRiskRow,
    "risk_evidence.csv": EvidenceRow,
    "organisations.csv": OrganisationRow,
    "leverages.csv": LeverageRow,
    "other_sectors.csv": OtherSectorRow,
    "country_aliases.csv": CountryAliasRow,
    "commodities.csv": CommodityRow,
    "material_facts.csv": MaterialFactRow,
    "report_themes.csv": ReportThemeRow,
    "regulatory_listings.csv": RegulatoryListingRow,
}
YAML_FILES: dict[str, type[BaseModel]] = {"materials.yaml": MaterialRow}


@dataclass
class SeedSet:
    """Validated seed rows, keyed by file name."""

    rows: dict[str, list[BaseModel]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> list[Any]:
        return self.rows[name]


def _iter_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            # DictReader puts surplus cells under the None key.
            yield reader.line_num, record


def row_problems(file: str, line: int | None, err: ValidationError) -> list[Problem]:
    """The problems of one row the seed model refused: file, row, column and message."""
    out = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or None
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden" and loc == "None":
            loc, message = None, "more cells than the header has columns"
        elif e["type"] == "extra_forbidden":
            message = "unexpected column"
        out.append(Problem(file, line, loc, message))
    return out


def validate_file(path: Path) -> tuple[list[BaseModel], list[Problem]]:
    """Validate one seed file; return its parsed rows and every problem found."""
    name = path.name
    problems: list[Problem] = []
    rows: list[BaseModel] = []
    if name in CSV_FILES:
        model = CSV_FILES[name]
        try:
            records = list(_iter_csv(path))
        except (UnicodeDecodeError, csv.Error) as exc:
            return [], [Problem(name, None, None, f"cannot be read as UTF-8 CSV ({exc})")]
        if not records:
            problems.append(Problem(name, None, None, "has no data rows"))
        for line, record in records:
            record = {("None" if k is None else k): v for k, v in record.items()}
            try:
                rows.append(model.model_validate(record))
            except ValidationError as err:
                problems.extend(row_problems(name, line, err))
    elif name in YAML_FILES:
        model = YAML_FILES[name]
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            return [], [Problem(name, None, None, f"is not valid YAML ({exc})")]
        if not isinstance(data, list):
            return [], [Problem(name, None, None, "must be a list of entries")]
        for index, entry in enumerate(data, start=1):
            try:
                rows.append(model.model_validate(entry))
            except ValidationError as err:
                for p in row_problems(name, None, err):
                    problems.append(Problem(name, None, f"entry {index}: {p.column}", p.message))
    else:
        problems.append(Problem(name, None, None, "is not a known seed file"))
    return rows, problems


def _duplicates(file: str, rows: list[Any], key: str) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for row in rows:
        value = getattr(row, key)
        if value in seen:
            out.append(Problem(file, None, key, f"duplicate value {value!r}"))
        seen.add(value)
    return out


def cross_check(seeds: SeedSet) -> list[Problem]:
    """Checks that span files: references, duplicates, shares adding up past 100."""
    problems: list[Problem] = []
    source_ids = {s.id for s in seeds["sources.csv"]}
    for name, rows in seeds.rows.items():
        for index, row in enumerate(rows, start=1):
            refs = [getattr(row, "source", None)]
            refs += [link.source for link in getattr(row, "links", [])]
            for ref in refs:
                if ref is not None and ref not in source_ids:
                    problems.append(Problem(name, None, "source",
                                            f"row {index}: unknown source id {ref!r}"))
    problems += _duplicates("sources.csv", seeds["sources.csv"], "id")
    problems += _duplicates("materials.yaml", seeds["materials.yaml"], "slug")
    problems += _duplicates("risk_evidence.csv", seeds["risk_evidence.csv"], "id")
    problems += _duplicates("organisations.csv", seeds["organisations.csv"], "slug")
    problems += _duplicates("leverages.csv", seeds["leverages.csv"], "id")
    problems += _duplicates("commodities.csv", seeds["commodities.csv"], "slug")
    problems += _duplicates("report_themes.csv", seeds["report_themes.csv"], "slug")
    problems += evidence_problems(seeds["risk_evidence.csv"])
    listed: set[tuple[str, str]] = set()
    for row in seeds["regulatory_listings.csv"]:
        if (row.material, row.regulation) in listed:
            problems.append(Problem("regulatory_listings.csv", None, "regulation",
                                    f"{row.material} is listed twice under {row.regulation}"))
        listed.add((row.material, row.regulation))

    missing = set(constants.MATERIAL_SLUGS) - {m.slug for m in seeds["materials.yaml"]}
    if missing:
        problems.append(Problem("materials.yaml", None, "slug",
                                f"missing materials: {', '.join(sorted(missing))}"))

    org_slugs = {o.slug for o in seeds["organisations.csv"]}
    for lev in seeds["leverages.csv"]:
        unknown = [o for o in lev.organisations if o not in org_slugs]
        if unknown:
            problems.append(Problem("leverages.csv", None, "organisations",
                                    f"leverage {lev.id}: unknown organisation(s) {', '.join(unknown)}"))

    problems += share_sum_problems(seeds["end_use_shares.csv"], "end_use_shares.csv")

    primaries: dict[tuple[str, str], int] = {}
    for com in seeds["commodities.csv"]:
        if com.is_primary:
            key = (com.material, com.stage)
            primaries[key] = primaries.get(key, 0) + 1
    for (mat, stg), count in primaries.items():
        if count > 1:
            problems.append(Problem("commodities.csv", None, "is_primary",
                                    f"{mat}/{stg} has {count} primary commodities; expected one"))
    return problems


def evidence_problems(rows: Iterable[Any], file: str = "risk_evidence.csv") -> list[Problem]:
    """Seed evidence must say how firm each case is, and a passage belongs to one material.

    A passage shared across materials could not count once per material, so it is refused;
    a passage named by one case only is allowed (it is that case's own passage).
    """
    problems: list[Problem] = []
    passage_material: dict[str, str] = {}
    for row in rows:
        if row.confidence is None:
            problems.append(Problem(file, None, "confidence",
                                    f"case {row.id}: confidence is empty; use one of "
                                    f"{', '.join(constants.CONFIDENCE_SLUGS)}"))
        if row.passage:
            first = passage_material.setdefault(row.passage, row.material)
            if first != row.material:
                problems.append(Problem(file, None, "passage",
                                        f"case {row.id}: passage {row.passage!r} is also used for "
                                        f"{first}; a passage belongs to one material"))
    return problems


# Half a point for rounding in the source.
SHARE_SUM_LIMIT = 100.5


def share_group(material: Any, basis: Any, scope: Any, year: Any, source: Any,
                bound: Any) -> tuple[Any, ...] | None:
    """The whole a share is part of (material, basis, scope, year, source); None for a bound."""
    if bound in {"ge", "le"}:
        return None  # bounds are not parts of a whole
    return (material, basis, scope, year, source)


def share_sum_problems(rows: Iterable[Any], file: str) -> list[Problem]:
    """Shares of one material, basis, scope, year and source may not add up past 100 %."""
    totals: dict[tuple[Any, ...], float] = {}
    for row in rows:
        key = share_group(row.material, row.basis, row.scope, row.year, row.source, row.bound)
        if key is not None:
            totals[key] = totals.get(key, 0.0) + row.share_pct
    return [
        Problem(file, None, "share_pct",
                f"shares for {k[0]} ({k[1]}, {k[2]}, {k[3]}) add up to {v:g} %, more than 100")
        for k, v in totals.items() if v > SHARE_SUM_LIMIT
    ]


def load_seeds(seed_dir: Path = SEED_DIR) -> SeedSet:
    """Validate every seed file and return the rows; raise ``SeedError`` listing all problems."""
    seeds = SeedSet()
    problems: list[Problem] = []
    for name in (*CSV_FILES, *YAML_FILES):
        path = seed_dir / name
        if not path.exists():
            problems.append(Problem(name, None, None, f"is missing from {seed_dir}"))
            seeds.rows[name] = []
            continue
        rows, file_problems = validate_file(path)
        seeds.rows[name] = rows
        problems += file_problems
    if not problems:
        problems += cross_check(seeds)
    if problems:
        raise SeedError(problems)
    return seeds
