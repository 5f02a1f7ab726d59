"""How each column of a CSV is generated: modelled by the networks, or derived without them.

Real tables carry columns a recurrent generator should not learn: a time stamp or row index (dropped
once the rows are checked to be in time order), constant columns (written back as their value),
exact duplicates of an earlier column (generated once, copied), exact linear relations between
columns (High = Low + spread, a total of its parts: the widest member computed from the others, so
generated rows keep the identity), and discrete columns with few levels (counts, on/off states:
modelled as numbers, then snapped to the nearest observed level). Heavy-tailed spiky columns may be
modelled through log1p(x - min), undone on output. The plan is stored in the generator's sidecar, so
generated windows come back with the input's columns and dtypes.

No TensorFlow here: pandas and numpy only.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from common.errors import ToolkitError

MODELLED, CONSTANT, DUPLICATE, DERIVED = "modelled", "constant", "duplicate", "derived"
KINDS = (MODELLED, CONSTANT, DUPLICATE, DERIVED)
# A column with at most this many distinct values (and few for its length) is a set of levels.
MAX_DISCRETE_LEVELS = 20
# ... and each level must recur on average this often, so a short table of floats is not "discrete".
MIN_ROWS_PER_LEVEL = 5
# A column is derived when a linear combination of other modelled columns reproduces it on every row
# to within this fraction of its range: identities written with six or more significant digits, never a
# mere correlation (the networks' own error is about 1e-2 of the range).
DERIVED_TOLERANCE = 1e-5
# ... fitted on at least this many rows per unknown (weights and intercept), so a short table cannot fit
# any column exactly by chance.
MIN_ROWS_PER_TERM = 5
# A fitted weight this close to an integer is that integer, and an intercept this close to 0 (as a
# fraction of the column's range) is 0: High - Low, not 0.99999999 High - Low + 3e-15.
ROUNDING_TOLERANCE = 1e-9
LOG1P = "log1p"
TRANSFORMS = (LOG1P,)
INTEGER_DTYPE, FLOAT_DTYPE = "int64", "float64"


@dataclass(frozen=True)
class ColumnSpec:
    """One output column: `kind` in KINDS; `value` (constant), `source` (duplicate: the column copied),
    `terms` and `intercept` (derived: the column is intercept + sum of weight x column over `terms`,
    {modelled column: weight}), `levels` (sorted observed values of a discrete column, else
    None), `transform` (None or "log1p", then modelled as log1p(x - `shift`)), `dtype` ("int64" or
    "float64", as read)."""

    name: str
    kind: str = MODELLED
    dtype: str = FLOAT_DTYPE
    value: float | None = None
    source: str | None = None
    levels: list | None = None
    transform: str | None = None
    shift: float = 0.0
    terms: dict | None = None
    intercept: float | None = None

    def to_json(self):
        stored = {"name": self.name, "kind": self.kind, "dtype": self.dtype}
        for key in ("value", "source", "terms", "intercept", "levels", "transform"):
            if getattr(self, key) is not None:
                stored[key] = getattr(self, key)
        if self.transform:
            stored["shift"] = self.shift
        return stored


@dataclass(frozen=True)
class ColumnPlan:
    """The output columns in input order (`specs`) and the time/index columns dropped from the input."""

    specs: list
    dropped: list

    @property
    def names(self):
        """Every output column, in input order (dropped columns excepted)."""
        return [spec.name for spec in self.specs]

    @property
    def modelled(self):
        """The columns the networks learn, in input order."""
        return modelled_names(self.specs)

    def encode(self, frame):
        """The modelled columns of `frame` (rows x columns) -> float64 (rows, modelled), transforms applied."""
        missing = [name for name in self.modelled if name not in frame.columns]
        if missing:
            raise ToolkitError(f"the data lacks the column(s) the generator models: {', '.join(missing)}")
        columns = []
        for spec in self.specs:
            if spec.kind == MODELLED:
                values = frame[spec.name].to_numpy(dtype=np.float64)
                columns.append(np.log1p(np.maximum(values - spec.shift, 0.0)) if spec.transform else values)
        return np.stack(columns, axis=-1)

    def decode(self, modelled):
        """Modelled values (..., modelled) in the encoded units -> {column: array (...)} of every output column,
        transforms undone, discrete columns on their levels, in each column's dtype."""
        modelled = np.asarray(modelled, dtype=np.float64)
        decoded = {}
        for index, spec in enumerate(spec for spec in self.specs if spec.kind == MODELLED):
            values = modelled[..., index]
            if spec.transform:
                values = np.expm1(values) + spec.shift
            if spec.levels is not None:
                values = snap_to_levels(values, spec.levels)
            decoded[spec.name] = in_dtype(values, spec.dtype)
        # Derived columns need their modelled terms, duplicates their source (which may be derived).
        for spec in self.specs:
            if spec.kind == CONSTANT:
                decoded[spec.name] = in_dtype(np.full(modelled.shape[:-1], spec.value, dtype=np.float64), spec.dtype)
            elif spec.kind == DERIVED:
                decoded[spec.name] = in_dtype(spec.intercept + sum(weight * decoded[name].astype(np.float64)
                                                                   for name, weight in spec.terms.items()), spec.dtype)
        for spec in self.specs:
            if spec.kind == DUPLICATE:
                decoded[spec.name] = np.array(decoded[spec.source])
        return {name: decoded[name] for name in self.names}

    def to_json(self):
        return {"columns": [spec.to_json() for spec in self.specs], "dropped": list(self.dropped)}

    @classmethod
    def from_json(cls, stored):
        """The plan `to_json` described; ValueError/KeyError/TypeError for anything else (the reader words it)."""
        specs = []
        for entry in stored["columns"]:
            terms = entry.get("terms")
            spec = ColumnSpec(str(entry["name"]), entry.get("kind", MODELLED), entry.get("dtype", FLOAT_DTYPE),
                              entry.get("value"), entry.get("source"), entry.get("levels"), entry.get("transform"),
                              float(entry.get("shift", 0.0)),
                              {str(name): float(weight) for name, weight in terms.items()} if terms else None,
                              float(entry["intercept"]) if "intercept" in entry else None)
            if spec.kind not in KINDS or spec.transform not in (None, *TRANSFORMS):
                raise ValueError(f"column {spec.name!r} has an unknown kind or transform")
            if spec.kind == DUPLICATE and spec.source not in [earlier.name for earlier in specs]:
                raise ValueError(f"column {spec.name!r} copies {spec.source!r}, which is not an earlier column")
            specs.append(spec)
        modelled = {spec.name for spec in specs if spec.kind == MODELLED}
        for spec in specs:
            if spec.kind == DERIVED and (not spec.terms or spec.intercept is None or not set(spec.terms) <= modelled):
                raise ValueError(f"column {spec.name!r} must be derived from modelled columns with an intercept; "
                                 f"got terms {spec.terms} and intercept {spec.intercept}")
        plan = cls(specs, [str(name) for name in stored.get("dropped", [])])
        if not plan.modelled:
            raise ValueError("no column is modelled")
        return plan

    @classmethod
    def all_modelled(cls, columns):
        """The plan of a generator that models every column as float64 (sidecars of version 1)."""
        return cls([ColumnSpec(str(name)) for name in columns], [])


def modelled_names(specs):
    """The names of the MODELLED columns among `specs`, in order."""
    return [spec.name for spec in specs if spec.kind == MODELLED]


def in_dtype(values, dtype):
    """float64 `values` as the column's dtype: integers rounded to int64."""
    return np.rint(values).astype(np.int64) if dtype == INTEGER_DTYPE else values


def snap_to_levels(values, levels):
    """Each value -> the nearest of the sorted `levels` (same shape)."""
    levels = np.asarray(levels, dtype=np.float64)
    upper = np.clip(np.searchsorted(levels, values), 1, len(levels) - 1) if len(levels) > 1 else None
    if upper is None:
        return np.full_like(values, levels[0])
    lower = upper - 1
    nearer_lower = np.abs(values - levels[lower]) <= np.abs(levels[upper] - values)
    return np.where(nearer_lower, levels[lower], levels[upper])


def is_discrete(values):
    """Few distinct values for the column's length: a set of levels (counts, on/off states)."""
    count = len(np.unique(values))
    return 1 < count <= MAX_DISCRETE_LEVELS and len(values) >= MIN_ROWS_PER_LEVEL * count


def linear_relation(target, sources):
    """(weights (k,), intercept) with target = sources @ weights + intercept on every row to within
    DERIVED_TOLERANCE of target's range, or None; `target` (rows,), `sources` (rows, k) of varying columns."""
    rows, count = sources.shape
    if count == 0 or rows < MIN_ROWS_PER_TERM * (count + 1):
        return None
    # Standardised sources keep the least-squares problem well conditioned (volumes beside prices).
    centre, scale = sources.mean(axis=0), sources.std(axis=0)
    design = np.column_stack([(sources - centre) / scale, np.ones(rows)])
    solution = np.linalg.lstsq(design, target, rcond=None)[0]
    weights = solution[:-1] / scale
    weights = np.where(np.abs(weights - np.rint(weights)) < ROUNDING_TOLERANCE, np.rint(weights), weights)
    span = target.max() - target.min()
    intercept = float(np.mean(target - sources @ weights))
    intercept = 0.0 if abs(intercept) < ROUNDING_TOLERANCE * span else intercept
    residual = target - sources @ weights - intercept
    if np.max(np.abs(residual)) > DERIVED_TOLERANCE * span:
        return None
    return weights, intercept


def derived_spec(name, dtype, frame, candidates):
    """The DERIVED spec of `frame`'s column `name` if it is an exact linear combination of the columns
    named in `candidates`, else None. Terms whose contribution stays within the tolerance are left
    out, and the rest refitted."""
    values = frame[name].to_numpy(dtype=np.float64)
    sources = frame[candidates].to_numpy(dtype=np.float64)
    relation = linear_relation(values, sources)
    if relation is None:
        return None
    contribution = np.abs(relation[0]) * np.ptp(sources, axis=0)
    kept = contribution > DERIVED_TOLERANCE * np.ptp(values)
    relation = linear_relation(values, sources[:, kept])
    if relation is None:
        return None
    weights, intercept = relation
    names = [candidate for candidate, keep in zip(candidates, kept) if keep]
    return ColumnSpec(str(name), DERIVED, dtype, terms={term: float(weight) for term, weight in zip(names, weights)},
                      intercept=intercept)


def widest_member_derived(derived, frame, specs):
    """(position in `specs`, its DERIVED spec) when a term of `derived` should be derived instead, else None.

    Of the columns in one relation, the one with the widest share (|weight| x range) is derived:
    each narrow column then keeps its own relative accuracy, where a narrow column computed from wide
    ones would carry their errors (spread from two generated prices told itself apart at 0.78, modelled
    at 0.74), and a modelled spread >= 0 keeps High >= Low. Transformed terms and terms other derived
    columns use stay modelled.
    """
    in_use = {term for spec in specs if spec.kind == DERIVED for term in spec.terms}
    transformed = {spec.name for spec in specs if spec.transform}
    shares = {term: abs(weight) * np.ptp(frame[term].to_numpy(dtype=np.float64))
              for term, weight in derived.terms.items() if term not in in_use | transformed}
    if not shares:
        return None
    widest = max(shares, key=shares.get)
    if shares[widest] <= np.ptp(frame[derived.name].to_numpy(dtype=np.float64)) * (1 + DERIVED_TOLERANCE):
        return None
    position = [spec.name for spec in specs].index(widest)
    others = [term for term in derived.terms if term != widest] + [derived.name]
    replacement = derived_spec(widest, specs[position].dtype, frame, others)
    return None if replacement is None else (position, replacement)


def modelled_spec(name, dtype, values, transform=None, shift=0.0):
    """The MODELLED spec of a column with these `values`, on its levels when it is discrete."""
    levels = [float(level) for level in np.unique(values)] if is_discrete(values) else None
    return ColumnSpec(str(name), dtype=dtype, levels=levels, transform=transform, shift=shift)


def plan_columns(frame, dtypes, dropped=(), transforms=None, raw=False):
    """The plan for a numeric `frame` (float64 columns; `dtypes` {name: "int64"/"float64"} as read).

    `transforms`: {column: "log1p"} (such a column is modelled, never derived); `raw`: model every
    column as a number (no constant, duplicate, derived or discrete handling), as generators of
    sidecar version 1 did.
    """
    transforms = dict(transforms or {})
    unknown = sorted(set(transforms) - set(frame.columns))
    if unknown:
        raise ToolkitError(f"--log1p names column(s) the data does not have: {', '.join(unknown)}; "
                           f"it has {', '.join(map(str, frame.columns))}")
    specs = []
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=np.float64)
        dtype = dtypes.get(name, FLOAT_DTYPE)
        transform = transforms.get(name)
        shift = float(values.min()) if transform else 0.0
        earlier = next((spec.name for spec in specs if spec.kind != DUPLICATE
                        and np.array_equal(frame[spec.name].to_numpy(dtype=np.float64), values)), None)
        if raw:
            specs.append(ColumnSpec(str(name), dtype=dtype, transform=transform, shift=shift))
        elif values.min() == values.max():
            specs.append(ColumnSpec(str(name), CONSTANT, dtype, value=float(values[0])))
        elif earlier is not None:
            specs.append(ColumnSpec(str(name), DUPLICATE, dtype, source=earlier))
        elif not transform and (derived := derived_spec(name, dtype, frame, modelled_names(specs))) is not None:
            swapped = widest_member_derived(derived, frame, specs)
            if swapped is None:
                specs.append(derived)
            else:
                position, replacement = swapped
                specs[position] = replacement
                specs.append(modelled_spec(name, dtype, values))
        else:
            specs.append(modelled_spec(name, dtype, values, transform, shift))
    plan = ColumnPlan(specs, list(dropped))
    if not plan.modelled:
        raise ToolkitError(f"the data needs at least one column that varies; {', '.join(plan.names)} are constant")
    return plan


def parse_transforms(text):
    """"A,B" (the --log1p flag) -> {"A": "log1p", "B": "log1p"}; empty names are refused."""
    if text is None:
        return {}
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise ToolkitError(f"--log1p takes comma-separated column names; got {text!r}")
    return {name: LOG1P for name in names}


def plan_summary(plan):
    """One line on what is not simply modelled, or None when every column is."""
    parts = []
    for spec in plan.specs:
        if spec.kind == CONSTANT:
            parts.append(f"{spec.name} constant")
        elif spec.kind == DUPLICATE:
            parts.append(f"{spec.name} copies {spec.source}")
        elif spec.kind == DERIVED:
            parts.append(f"{spec.name} = {relation_text(spec)}")
        else:
            if spec.levels is not None:
                parts.append(f"{spec.name} on {len(spec.levels)} levels")
            if spec.transform:
                parts.append(f"{spec.name} via {spec.transform}")
    return "columns: " + "; ".join(parts) if parts else None


def relation_text(spec):
    """A derived column's formula, e.g. "High - Low" or "-0.5 a + 2 b + 3"."""
    pieces = [("-" if weight < 0 else "+", name if abs(weight) == 1 else f"{abs(weight):.6g} {name}")
              for name, weight in spec.terms.items()]
    if spec.intercept:
        pieces.append(("-" if spec.intercept < 0 else "+", f"{abs(spec.intercept):.6g}"))
    (first_sign, first), rest = pieces[0], pieces[1:]
    return ("-" if first_sign == "-" else "") + first + "".join(f" {sign} {text}" for sign, text in rest)


def frame_dtypes(frame):
    """{column: "int64" or "float64"}: integer columns stay integers on output."""
    return {name: INTEGER_DTYPE if pd.api.types.is_integer_dtype(frame[name]) else FLOAT_DTYPE
            for name in frame.columns}
