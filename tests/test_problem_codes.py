"""Every problem code a user can meet is in one table, and on the page that explains them.

The codes are found by reading the package's source: the first argument (or
`code=`) of every `Problem(...)` call and of every helper whose first parameter
is `code`, the first element of the `(code, message)` pairs that the functions
in `CODE_TABLES` return, and `code = "..."` assignments that feed a `Problem`.
A code computed any other way cannot be checked, so it fails the test too.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import selfstudy
from selfstudy.core.problem_codes import CODES

PACKAGE = Path(selfstudy.__file__).parent
DOCS = PACKAGE.parent / "docs" / "problems.md"

# Functions that return `(code, message)` pairs for their caller to put in a Problem.
CODE_TABLES = {"core/rubric/parse.py": {"_explain"}}


def _code_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "code"), None)


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _first_parameter(function: ast.FunctionDef) -> str | None:
    return function.args.args[0].arg if function.args.args else None


class _CodeFinder(ast.NodeVisitor):
    """Codes of one module, and the places where a code is made in a way it cannot read."""

    def __init__(self, module: str, tree: ast.Module):
        self.module = module
        self.tables = CODE_TABLES.get(module, set())
        self.makers = {"Problem"} | {
            f.name
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef) and _first_parameter(f) == "code"
        }
        self.codes: dict[str, set[str]] = defaultdict(set)
        self.unreadable: list[str] = []
        self.tables_seen: set[str] = set()
        self.functions: list[ast.FunctionDef] = []

    def _found(self, code: str, node: ast.AST) -> None:
        self.codes[code].add(f"{self.module}:{node.lineno}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name in self.tables:
            self.tables_seen.add(node.name)
            self._table_codes(node)
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    def _table_codes(self, function: ast.FunctionDef) -> None:
        for node in ast.walk(function):
            if isinstance(node, ast.Return):
                value = node.value
                code = _text(value.elts[0]) if isinstance(value, ast.Tuple) else None
                if code is None:
                    self.unreadable.append(f"{self.module}:{node.lineno} ({function.name})")
                else:
                    self._found(code, node)

    def visit_Call(self, node: ast.Call) -> None:
        if _callee(node) in self.makers:
            argument = _code_argument(node)
            code = _text(argument)
            if code is not None:
                self._found(code, node)
            elif not self._readable_elsewhere(argument):
                self.unreadable.append(f"{self.module}:{node.lineno}")
        self.generic_visit(node)

    def _readable_elsewhere(self, argument: ast.expr | None) -> bool:
        """A `code` name that is a helper's parameter, a code table's answer or a constant."""
        if not isinstance(argument, ast.Name) or not self.functions:
            return False
        function = self.functions[-1]
        if _first_parameter(function) == argument.id:
            return True  # a helper: the codes are read at its calls
        readable = False
        for node in ast.walk(function):
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == argument.id:
                    code = _text(node.value)
                    if code is None:
                        return False
                    self._found(code, node)
                    readable = True
                elif isinstance(target, ast.Tuple) and _names(target)[:1] == [argument.id]:
                    call = node.value
                    if not (isinstance(call, ast.Call) and _callee(call) in self.tables):
                        return False
                    readable = True
        return readable


def _names(target: ast.Tuple) -> list[str | None]:
    return [e.id if isinstance(e, ast.Name) else None for e in target.elts]


def _read_package() -> tuple[dict[str, set[str]], list[str], set[str]]:
    codes: dict[str, set[str]] = defaultdict(set)
    unreadable: list[str] = []
    tables_seen: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        finder = _CodeFinder(module, tree)
        finder.visit(tree)
        for code, places in finder.codes.items():
            codes[code] |= places
        unreadable += finder.unreadable
        tables_seen |= {f"{module}:{name}" for name in finder.tables_seen}
    return codes, unreadable, tables_seen


def _documented_codes() -> list[str]:
    """The codes of the table rows of docs/problems.md: lines starting with | `code` |."""
    text = DOCS.read_text(encoding="utf-8")
    return re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|", text, flags=re.M)


def _documented_rows() -> dict[str, tuple[str, str]]:
    """Code -> (title, fix) of the rows `| `code` | title | fix |` of docs/problems.md."""
    text = DOCS.read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|(.*)\|\s*$", text, flags=re.M)
    cells = {code: [c.strip() for c in rest.split("|")] for code, rest in rows}
    assert all(len(c) == 2 for c in cells.values()), "a row of docs/problems.md lacks 3 cells"
    return {code: (title, fix) for code, (title, fix) in cells.items()}


def test_every_code_the_package_produces_is_in_the_table():
    produced, _, _ = _read_package()
    unlisted = {code: sorted(places) for code, places in produced.items() if code not in CODES}
    assert unlisted == {}, "add these codes to selfstudy/core/problem_codes.py"


def test_every_code_is_written_where_the_problem_is_made():
    _, unreadable, tables_seen = _read_package()
    assert unreadable == [], "write the code out, so this test can check it"
    expected = {f"{module}:{name}" for module, names in CODE_TABLES.items() for name in names}
    assert tables_seen == expected, "CODE_TABLES names a function that no longer exists"


def test_every_code_in_the_table_is_still_produced():
    produced, _, _ = _read_package()
    assert sorted(set(CODES) - set(produced)) == []


def test_every_code_in_the_table_is_explained_for_users():
    documented = _documented_codes()
    assert len(documented) == len(set(documented)), "a code has two rows in docs/problems.md"
    assert sorted(set(CODES) - set(documented)) == [], "add rows to docs/problems.md"
    assert sorted(set(documented) - set(CODES)) == [], "remove rows from docs/problems.md"


def test_every_code_has_a_title_and_a_fix():
    for code, (title, fix) in CODES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code), code
        assert title.strip() and fix.strip(), code


def test_the_page_words_every_code_as_the_table_does():
    documented = _documented_rows()
    differ = {
        code: {"table": CODES[code], "page": documented[code]}
        for code in CODES
        if code in documented and documented[code] != CODES[code]
    }
    assert differ == {}, "make docs/problems.md and selfstudy/core/problem_codes.py agree"
