"""SQL only through bound parameters: no statement in siyu's source is built by formatting.

Scans every module for calls that run or wrap SQL (`text`, `execute`, `exec_driver_sql`,
`executescript`, `op.execute`) whose statement is an f-string, `%`-formatting, `.format()` or
a concatenation. The few that format identifiers chosen by the code (table names from a
constant tuple, never input) are listed below with the reason; a new one fails this test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "siyu"
SQL_CALLS = frozenset({"text", "execute", "exec_driver_sql", "executescript", "executemany"})

# (file relative to src/siyu, function): why its formatting is safe.
MIGRATION_0006 = (
    "db/migrations/versions/2026_11_24_1100_0006_loyalty_ledger_tiers_cards_stored_value.py"
)
MIGRATION_0012 = "db/migrations/versions/2026_11_24_1430_0012_audit_log_and_account_lock_out.py"
TRIGGERS = "trigger DDL over table names from a constant tuple in the migration; DDL takes no binds"
ALLOWED: dict[tuple[str, str], str] = {
    (MIGRATION_0006, "_append_only"): TRIGGERS,
    (MIGRATION_0006, "_drop_append_only"): TRIGGERS,
    (MIGRATION_0012, "_append_only"): TRIGGERS,
    (MIGRATION_0012, "_drop_append_only"): TRIGGERS,
}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _formatted(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _stringy(node.left) or _stringy(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _stringy(node.func.value)
    return False


def _stringy(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or _formatted(node)


def _formatted_names(function: ast.AST) -> set[str]:
    """Names a function assigns a formatted string to (`sql = f"…"` then `text(sql)`)."""
    return {
        target.id
        for node in ast.walk(function)
        if isinstance(node, ast.Assign) and _formatted(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def formatted_sql(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """(enclosing function, line) of every SQL call whose statement is formatted."""
    stack: list[tuple[ast.AST, str, set[str]]] = [(tree, "<module>", set())]
    while stack:
        node, where, names = stack.pop()
        for child in ast.iter_child_nodes(node):
            inner, known = where, names
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner, known = child.name, _formatted_names(child)
            if isinstance(child, ast.Call) and _name(child.func) in SQL_CALLS and child.args:
                first = child.args[0]
                if _formatted(first) or (isinstance(first, ast.Name) and first.id in known):
                    yield where, child.lineno
            stack.append((child, inner, known))


def test_the_scanner_catches_formatted_sql() -> None:
    bad = ast.parse(
        "def f(db, phone):\n"
        "    db.execute(text(f\"SELECT * FROM identity WHERE masked = '{phone}'\"))\n"
        "    db.execute('SELECT %s' % phone)\n"
        "    db.exec_driver_sql('SELECT {}'.format(phone))\n"
        "    db.execute(text('SELECT ' + phone))\n"
        "    db.execute(text('SELECT :p'), {'p': phone})\n"
        "    sql = f'DELETE FROM customer WHERE id = {phone}'\n"
        "    db.execute(text(sql))\n"
    )
    assert sorted(line for _, line in formatted_sql(bad)) == [2, 3, 4, 5, 8]


def test_no_sql_is_built_by_formatting() -> None:
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        for where, line in formatted_sql(ast.parse(path.read_text(encoding="utf-8"))):
            found.setdefault((relative, where), []).append(line)
    unexplained = {k: v for k, v in found.items() if k not in ALLOWED}
    assert not unexplained, (
        f"SQL built by string formatting (bind parameters instead): {unexplained}"
    )
    assert not set(ALLOWED) - set(found), "an allowed entry no longer formats SQL: remove it"
