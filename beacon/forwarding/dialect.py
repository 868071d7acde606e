"""SQL dialects of the engines a fleet queries its shipped logs with: types and expressions.

A dialect derives every column type from schema 1.1 (`beacon.schema.model.EVENT_FIELDS`):
closed objects become nested structs, open ones (`gen_ai`, `raw`) the engine's JSON type.
It also spells the few expressions that differ between engines (partition window, JSON
extraction, regex, unnest), so the starter queries in `beacon.forwarding.queries` are
written once. Each engine's subclass lives in its destination module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from beacon.forwarding.destination import EnvVar, PackOptions

if TYPE_CHECKING:  # the model loads only when a pack is rendered, not for `beacon --help`
    from beacon.schema.model import Field


def _event_fields() -> tuple[Field, ...]:
    from beacon.schema import model

    return model.EVENT_FIELDS


TABLES: dict[str, str] = {"runtime": "beacon_runtime", "inventory": "beacon_inventory"}
"""The contract for every engine: one table (or view) per stream, with these names."""

PARTITION = "date"
"""The Hive partition key in object keys: `<stream>/date=YYYY-MM-DD/…`."""

QUERY_FROM = EnvVar(
    "BEACON_QUERY_FROM", "First UTC day the starter queries cover, `YYYY-MM-DD` (inclusive)."
)
QUERY_TO = EnvVar(
    "BEACON_QUERY_TO", "Last UTC day the starter queries cover, `YYYY-MM-DD` (inclusive)."
)
SLACK_DAYS = 1
"""Partitions read on each side of the window: an object's `date` is that of its first event.
`beacon ship` closes a batch at midnight, but an event that arrived late sits in the next
day's object, and other writers may cross midnight; the exact window is then applied to
each event's own timestamp."""


@dataclass(frozen=True)
class Column:
    """One top-level column: name, engine type and the schema's description."""

    name: str
    type: str
    description: str


class SqlDialect(ABC):
    """How one engine spells Beacon's tables and the expressions the starter queries use."""

    name: str
    """sqlglot's name for the dialect (`athena`, `bigquery`, `duckdb`)."""
    title: str
    scalar_types: Mapping[str, str]
    """JSON Schema scalar type → engine type."""
    open_object_type: str
    """Type of an object whose keys the schema leaves open."""
    reserved: frozenset[str] = frozenset()
    """Lower-case names that must be quoted as identifiers."""

    # -- types from the schema model ---------------------------------------------------

    def columns(self) -> list[Column]:
        """Every top-level field of schema 1.1, in schema order, with its engine type."""
        return [Column(f.name, self.type_of(f), f.description) for f in _event_fields()]

    def type_of(self, field: Field) -> str:
        """The engine type of one schema field (recursing into objects and arrays)."""
        if field.type == "object":
            if field.open or not field.children or not self.can_struct(field):
                return self.open_object_type
            return self.struct([(self.member(c.name), self.type_of(c)) for c in field.children])
        if field.type == "array":
            items = field.items
            if items is None or isinstance(items, str):
                inner = self.scalar(items or "")
            else:
                inner = self.type_of(items)
            return self.array(inner)
        return self.scalar(field.type)

    def scalar(self, json_type: str) -> str:
        """A scalar's engine type; an untyped value is kept as the open type."""
        return self.scalar_types.get(json_type, self.open_object_type)

    def can_struct(self, field: Field) -> bool:
        """Whether this object's keys can all be struct members (else: the open type)."""
        return True

    def member(self, key: str) -> str:
        """The struct member / column name for a JSON key."""
        return key

    @abstractmethod
    def struct(self, members: list[tuple[str, str]]) -> str:
        """A struct type from (member, type) pairs."""

    @abstractmethod
    def array(self, inner: str) -> str:
        """An array type."""

    # -- DDL ---------------------------------------------------------------------------

    @abstractmethod
    def create_statements(self, options: PackOptions) -> list[str]:
        """The statements of `tables.sql`, one table or view per selected stream."""

    def aligned_columns(self, name: Callable[[str], str]) -> str:
        """The column list of a `CREATE TABLE`: `  name   type,  -- description` lines, the
        types aligned after the longest name as `name` spells it."""
        columns = self.columns()
        width = max(len(name(c.name)) for c in columns) + 3
        lines = []
        for i, c in enumerate(columns):
            comma = "," if i < len(columns) - 1 else ""
            lines.append(f"  {name(c.name):<{width}}{c.type}{comma}  -- {c.description}")
        return "\n".join(lines)

    def env(self, options: PackOptions) -> tuple[EnvVar, ...]:
        """Parameters `tables.sql` reads (bucket, prefix, project, dataset, root)."""
        return ()

    # -- expressions for queries --------------------------------------------------------

    def table(self, stream: str) -> str:
        """How queries name a stream's table."""
        return TABLES[stream]

    def quote(self, name: str) -> str:
        """An always-quoted identifier."""
        return '"' + name.replace('"', '""') + '"'

    def ident(self, name: str) -> str:
        """An identifier, quoted only when it is reserved or not a plain name."""
        plain = name.replace("_", "a").isalnum() and not name[:1].isdigit()
        return name if plain and name.lower() not in self.reserved else self.quote(name)

    def col(self, *path: str) -> str:
        """A column or nested member: `col("user", "name")` → `"user".name`.

        A member of a column this dialect keeps as JSON is read with `json_text` instead.
        """
        top = next((f for f in _event_fields() if f.name == path[0]), None)
        if len(path) > 1 and top is not None and self.type_of(top) == self.open_object_type:
            json_path = "$" + "".join(f'."{p}"' if "." in p else f".{p}" for p in path[1:])
            return self.json_text(self.ident(path[0]), json_path)
        return ".".join(self.ident(self.member(part)) for part in path)

    def literal(self, text: str) -> str:
        """A string literal."""
        return "'" + text.replace("'", "''") + "'"

    def param(self, var: EnvVar) -> str:
        """A `${NAME}` parameter inside a string literal."""
        return f"'{var.ref}'"

    def day(self) -> str:
        """The UTC day of an event, `YYYY-MM-DD`, from its own timestamp."""
        return f"substr({self.col('timestamp')}, 1, 10)"

    def window(self, since: bool = True, indent: str = "  ") -> str:
        """Partition pruning with slack, then the exact window on each event's timestamp.

        With `since=False` only the upper bound applies (all history up to the window's end).
        The second line is indented by `indent`, to sit under the `WHERE` it follows.
        """
        day = self.day()
        exact = (
            f"{day} BETWEEN {self.param(QUERY_FROM)} AND {self.param(QUERY_TO)}"
            if since
            else f"{day} <= {self.param(QUERY_TO)}"
        )
        return f"{self.partition_range(since)}\n{indent}AND {exact}"

    def partition_range(self, since: bool) -> str:
        """The `date` partition predicate of the window, widened by `SLACK_DAYS`."""
        col = self.partition_column()
        upper = self.shift_day(QUERY_TO, SLACK_DAYS)
        if not since:
            return f"{col} <= {upper}"
        return f"{col} BETWEEN {self.shift_day(QUERY_FROM, -SLACK_DAYS)} AND {upper}"

    def partition_column(self) -> str:
        """The `date` partition column as queries name it."""
        return self.ident(PARTITION)

    @abstractmethod
    def shift_day(self, day: EnvVar, days: int) -> str:
        """The partition value `days` days after (or before, when negative) the `day`
        parameter, comparable with the `date` partition column."""

    @abstractmethod
    def json_text(self, expr: str, path: str) -> str:
        """A scalar at JSONPath `path` of a JSON (or JSON text) value, as a string."""

    def json_number(self, expr: str, path: str, integer: bool) -> str:
        """A number at JSONPath `path`, NULL when absent or not a number."""
        kind = self.scalar("integer" if integer else "number")
        return self.safe_cast(self.json_text(expr, path), kind)

    @abstractmethod
    def safe_cast(self, expr: str, type_: str) -> str:
        """`expr` cast to `type_`, NULL where it does not convert."""

    @abstractmethod
    def regex(self, expr: str, pattern: str) -> str:
        """True when `pattern` (RE2 syntax) matches somewhere in `expr`."""

    def starts_with(self, expr: str, prefix: str) -> str:
        """True when `expr` starts with `prefix`."""
        return f"starts_with({expr}, {prefix})"

    @abstractmethod
    def unnest_json_array(self, expr: str, path: str, alias: str) -> str:
        """A join clause giving one row per element (a JSON value named `alias`)."""
