#!/usr/bin/env python3
"""One owner per table (shared/DESIGN.md, "Who owns what"): fail when a module runs SQL against
a table its package does not own. import-linter cannot see this: the SQL is in strings.

A table belongs to the package whose migrations create it (`ferry/<package>/sql/<dialect>/`).
Every string literal under `ferry/` (docstrings aside) is read as SQL: each table it names
after FROM, JOIN, INTO, UPDATE, ALTER TABLE, CREATE TABLE/INDEX … ON or TABLE must belong to
the package of the module that holds it. Migrations are held to the same rule. An f-string whose
table name is a parameter (a generic primitive, e.g. the store's durable queue, run on a table
its owner names) names no table here and passes.

Usage: scripts/sql_owners.py [ROOT]   (ROOT: the checkout holding `ferry/`; default: this one)
Exit status 1 and one line per violation: `module:line: table (owned by package)`; a table two
packages create is one too.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CREATE_TABLE = re.compile(
    r"\bCREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_]\w*)", re.IGNORECASE
)
# Keywords after which SQL names a table. Upper case only: prose in error messages and
# comments ("read from buckets") is lower case, SQL in this code base is upper case.
TABLE_AFTER = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|ON)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?([A-Za-z_]\w*)"
)
# `FROM a, b` and `FROM a AS x, b y`: the tables after the first.
FROM_LIST = re.compile(
    r"\bFROM\s+[A-Za-z_]\w*(?:\s+(?:AS\s+)?[A-Za-z_]\w*)?((?:\s*,\s*[A-Za-z_]\w*"
    r"(?:\s+(?:AS\s+)?[A-Za-z_]\w*)?)+)"
)
LIST_ITEM = re.compile(r",\s*([A-Za-z_]\w*)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    where: str
    line: int
    table: str
    owner: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.table} (owned by {self.owner})"


def package_of(path: Path, ferry: Path) -> str:
    """`ferry/replication/tasks.py` → `replication`; top-level modules are their own owner."""
    parts = path.relative_to(ferry).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def migrations(ferry: Path) -> Iterator[tuple[str, Path]]:
    """(package, file) of every migration, of every dialect (`<package>/sql/<dialect>/`)."""
    for path in sorted(ferry.glob("*/sql/*/*.sql")):
        yield package_of(path, ferry), path


def table_owners(
    ferry: Path, modules: dict[Path, list[tuple[int, str]]]
) -> tuple[dict[str, str], list[str]]:
    """Table → package, from the CREATE TABLE statements of every package's migrations and of
    Python modules (the store's `schema_migrations`); and the tables two packages create."""
    creators: dict[str, set[str]] = {}
    for package, path in migrations(ferry):
        for table in CREATE_TABLE.findall(strip_comments(path.read_text(encoding="utf-8"))):
            creators.setdefault(table.lower(), set()).add(package)
    for path, strings in modules.items():
        for _, text in strings:
            for table in CREATE_TABLE.findall(text):
                creators.setdefault(table.lower(), set()).add(package_of(path, ferry))
    owners = {table: min(packages) for table, packages in creators.items()}
    clashes = [
        f"{table}: created by {', '.join(sorted(packages))} (one owner per table)"
        for table, packages in sorted(creators.items())
        if len(packages) > 1
    ]
    return owners, clashes


def strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def tables_named(sql: str) -> list[tuple[int, str]]:
    """(offset, table) of every name SQL uses as a table in `sql`."""
    names = [(m.start(1), m.group(1).lower()) for m in TABLE_AFTER.finditer(sql)]
    for tail in FROM_LIST.finditer(sql):
        start = tail.start(1)
        names.extend((start + m.start(1), m.group(1).lower()) for m in LIST_ITEM.finditer(tail[1]))
    return sorted(set(names))


def docstring_nodes(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def sql_strings(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal of a module but its docstrings. An f-string's
    interpolations become a placeholder, so a table name given as a parameter names no table."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = docstring_nodes(tree)
    inside_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inside_fstring.add(id(value))
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    parts.append(value.value)
                else:
                    parts.append(" ? ")
            yield node.lineno, "".join(parts)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and id(node) not in inside_fstring
        ):
            yield node.lineno, node.value


def violations(root: Path) -> tuple[list[Violation], list[str]]:
    """Statements run against another package's table; and tables with two owners."""
    ferry = root / "ferry"
    modules = {path: list(sql_strings(path)) for path in sorted(ferry.rglob("*.py"))}
    owners, clashes = table_owners(ferry, modules)
    found: list[Violation] = []

    def check(where: str, package: str, first_line: int, sql: str) -> None:
        for offset, table in tables_named(sql):
            owner = owners.get(table)
            if owner is not None and owner != package:
                line = first_line + sql.count("\n", 0, offset)
                found.append(Violation(where=where, line=line, table=table, owner=owner))

    for package, path in migrations(ferry):
        text = strip_comments(path.read_text(encoding="utf-8"))
        check(str(path.relative_to(root)), package, 1, text)
    for path, strings in modules.items():
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        for first_line, text in strings:
            check(module, package_of(path, ferry), first_line, text)
    return found, clashes


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    found, clashes = violations(root)
    found.sort(key=lambda v: (v.where, v.line, v.table))
    for line in [*map(str, found), *clashes]:
        print(line)
    if found or clashes:
        print(
            f"{len(found)} statement(s) run SQL against another package's table, "
            f"{len(clashes)} table(s) with two owners (shared/DESIGN.md, Who owns what)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
