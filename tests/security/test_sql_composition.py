"""No SQL built from strings in plugins/ or dags/: the rule, checked on the syntax tree.

THE RULE. The SQL text handed to cursor.execute / executemany / mogrify / copy_expert /
copy_from / copy_to and to psycopg2.extras.execute_values / execute_batch must be one of:

1. a string literal (values go as parameters: %s, %(name)s, or the VALUES %s of execute_values);
2. a psycopg2.sql composition: sql.SQL(...).format(sql.Identifier(...), sql.Literal(...), ...),
   sql.Composed, sql.SQL(...).join(...), optionally turned to text with .as_string(cur);
3. an f-string or "+" whose only interpolated parts are fixed column lists taken from module
   constants: UPPER_CASE names of the module, or local names bound to ", ".join(UPPER_CASE) or
   ", ".join(module.UPPER_CASE) (load.EVENT_COLUMNS);
4. the text of a migration file (`<path>.read_text(...)`): migrate.py runs the files of sql/.

A local variable is followed to the value(s) it is assigned in the same function; anything else
(% formatting, str.format, "+" with other strings, f-strings with other values, function
parameters) is a violation. The test prints each violation with file, line and the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO

CURSOR_METHODS = {"execute": 0, "executemany": 0, "mogrify": 0, "copy_expert": 0, "copy_from": None,
                  "copy_to": None}
EXTRAS_FUNCTIONS = {"execute_values": 1, "execute_batch": 1}
COMPOSITION_ROOTS = {"SQL", "Identifier", "Literal", "Composed", "Placeholder"}


def _is_constant_name(name: str) -> bool:
    return name.isupper() or (name.startswith("_") and name[1:].isupper())


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        self.module_constants = {
            t.id
            for node in self.tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Name) and _is_constant_name(t.id)
        }

    def violations(self) -> Iterator[str]:
        for func in ast.walk(self.tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            assigned: dict[str, list[ast.expr]] = {}
            for node in ast.walk(func):
                if isinstance(node, ast.Assign):
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            assigned.setdefault(t.id, []).append(node.value)
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                    assigned.setdefault(node.target.id, []).append(node.value)
            for node in ast.walk(func):
                if not isinstance(node, ast.Call):
                    continue
                sql_arg = self._sql_argument(node)
                if sql_arg is None:
                    continue
                reason = self._unsafe(sql_arg, assigned, depth=0)
                if reason:
                    yield f"{self.path.relative_to(REPO)}:{node.lineno}: {reason}"

    @staticmethod
    def _sql_argument(call: ast.Call) -> ast.expr | None:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name in EXTRAS_FUNCTIONS and len(call.args) > EXTRAS_FUNCTIONS[name]:
            return call.args[EXTRAS_FUNCTIONS[name]]
        if isinstance(func, ast.Attribute) and name in CURSOR_METHODS:
            index = CURSOR_METHODS[name]
            if index is None:  # copy_from / copy_to take a table name: it must be a literal too
                return call.args[1] if len(call.args) > 1 else None
            return call.args[index] if call.args else None
        return None

    def _unsafe(self, node: ast.expr, assigned: dict[str, list[ast.expr]], depth: int) -> str | None:
        """None when `node` is safe SQL text by the rule above, else why not."""
        if depth > 8:
            return "too indirect to check"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return None
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.FormattedValue) and not self._fixed_list(part.value, assigned):
                    return f"f-string interpolates {ast.unparse(part.value)!r}, not a fixed column list"
            return None
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Mod):
                return "SQL built with % formatting"
            if isinstance(node.op, ast.Add):
                for side in (node.left, node.right):
                    if not (self._fixed_list(side, assigned) or self._unsafe(side, assigned, depth + 1) is None):
                        return f"SQL concatenated with {ast.unparse(side)!r}"
                return None
            return f"SQL built with {type(node.op).__name__}"
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                if func.attr == "as_string":
                    return self._unsafe(func.value, assigned, depth + 1)
                if func.attr in ("format", "join") and self._is_composition(func.value, assigned):
                    return None
                if func.attr == "format":
                    return "SQL built with str.format"
                if func.attr == "read_text":
                    return None  # a migration file of sql/
            if self._is_composition(node, assigned):
                return None
            return f"SQL text from a call to {ast.unparse(func)!r}"
        if isinstance(node, ast.Name):
            if node.id in self.module_constants:
                return None
            values = assigned.get(node.id)
            if not values:
                return f"SQL text from {node.id!r}, a parameter or a name not assigned here"
            for value in values:
                reason = self._unsafe(value, assigned, depth + 1)
                if reason:
                    return f"{node.id} = {ast.unparse(value)[:60]!r}: {reason}"
            return None
        return f"SQL text from {ast.unparse(node)[:60]!r}"

    def _is_composition(self, node: ast.expr, assigned: dict[str, list[ast.expr]]) -> bool:
        """sql.SQL(...), sql.Identifier(...), sql.Composed(...), and .format/.join chains of them."""
        if isinstance(node, ast.Name) and node.id in assigned:
            return all(self._is_composition(v, assigned) for v in assigned[node.id])
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in COMPOSITION_ROOTS:
            return isinstance(func.value, ast.Name) and func.value.id == "sql"
        if isinstance(func, ast.Name) and func.id in COMPOSITION_ROOTS:
            return True
        if isinstance(func, ast.Attribute) and func.attr in ("format", "join"):
            return self._is_composition(func.value, assigned)
        return False

    def _fixed_list(self, node: ast.expr, assigned: dict[str, list[ast.expr]]) -> bool:
        """An UPPER_CASE module constant, or a name bound to ", ".join(<such a constant>)."""
        if isinstance(node, ast.Name):
            if node.id in self.module_constants:
                return True
            values = assigned.get(node.id) or []
            return bool(values) and all(self._fixed_list(v, assigned) for v in values)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join":
            return isinstance(node.func.value, ast.Constant) and len(node.args) == 1 and self._constant(node.args[0])
        return False

    def _constant(self, node: ast.expr) -> bool:
        """COLUMNS of this module, or module.COLUMNS of an imported one (load.EVENT_COLUMNS)."""
        if isinstance(node, ast.Name):
            return node.id in self.module_constants
        return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _is_constant_name(node.attr)


def _python_files() -> list[Path]:
    return sorted([*(REPO / "plugins").rglob("*.py"), *(REPO / "dags").glob("*.py")])


def test_no_string_built_sql_in_plugins_and_dags() -> None:
    found = [v for path in _python_files() for v in _Checker(path).violations()]
    assert not found, "string-built SQL (see this test's docstring for the rule):\n" + "\n".join(found)


def test_the_checker_catches_what_it_should(tmp_path: Path) -> None:
    """The rule applied to known-bad and known-good snippets, so that a broken checker cannot pass."""
    bad = {
        "fstring": 'def f(cur, name):\n    cur.execute(f"SELECT * FROM t WHERE n = \'{name}\'")\n',
        "percent": 'def f(cur, n):\n    cur.execute("SELECT %s" % n)\n',
        "format": 'def f(cur, n):\n    cur.execute("SELECT {}".format(n))\n',
        "concat": 'def f(cur, n):\n    cur.execute("SELECT * FROM t WHERE n = " + n)\n',
        "via variable": 'def f(cur, n):\n    q = f"DELETE FROM {n}"\n    cur.execute(q)\n',
        "parameter": 'def f(cur, q):\n    cur.execute(q)\n',
        "execute_values": 'import psycopg2.extras\ndef f(cur, t, rows):\n'
                          '    psycopg2.extras.execute_values(cur, f"INSERT INTO {t} VALUES %s", rows)\n',
        "copy_expert": 'def f(cur, t, buf):\n    cur.copy_expert("COPY " + t + " FROM STDIN", buf)\n',
        "join of a non-constant": 'def f(cur, cols):\n    c = ", ".join(cols)\n    cur.execute(f"SELECT {c} FROM t")\n',
        "join of an attribute": 'def f(cur, o):\n    c = ", ".join(o.cols)\n    cur.execute(f"SELECT {c} FROM t")\n',
    }
    good = {
        "literal": 'def f(cur, n):\n    cur.execute("SELECT %s", (n,))\n',
        "composition": 'from psycopg2 import sql\ndef f(cur, t):\n'
                       '    cur.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(t)))\n',
        "as_string": 'from psycopg2 import sql\ndef f(cur, t, buf):\n'
                     '    stmt = sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(t))\n'
                     '    cur.copy_expert(stmt.as_string(cur), buf)\n',
        "constant columns": 'COLS = ("a", "b")\ndef f(cur):\n    c = ", ".join(COLS)\n'
                            '    cur.execute(f"INSERT INTO t ({c}) SELECT {c} FROM s")\n',
        "imported constant columns": 'from x import load\ndef f(cur):\n    c = ", ".join(load.EVENT_COLUMNS)\n'
                                     '    cur.execute(f"SELECT {c} FROM events")\n',
        "migration file": 'def f(cur, mig):\n    cur.execute(mig.path.read_text(encoding="utf-8"))\n',
    }
    for name, code in {**bad, **good}.items():
        path = REPO / "plugins" / f"_sqlcheck_{name.replace(' ', '_')}.py"
        checker = _Checker.__new__(_Checker)
        checker.path = path
        checker.tree = ast.parse(code)
        checker.module_constants = {"COLS"}
        found = list(checker.violations())
        assert bool(found) == (name in bad), (name, found)
