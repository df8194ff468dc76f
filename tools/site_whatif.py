"""Draw each what-if cell's default figure for the course website, without Jupyter.

Usage: python tools/site_whatif.py OUT.json notebooks/02_retention_economics.ipynb [...]

A what-if cell (tagged ``what-if``) shows sliders over a figure. Its saved output is
only a placeholder (widget state is not saved), so the website draws the figure at
the sliders' starting values here: the cell runs in a plain IPython shell after
*only* the earlier cells it depends on (found from the names each cell defines and
uses), never the whole lesson. Every figure the cell draws is kept as a PNG, and its
controls (description, value, range) are listed, so the page can show them.

Writes ``{notebook name: {cell index: {"figures": [base64 PNG, ...], "controls": [...]}}}``
as JSON; a cell that could not run gets an ``"error"`` and no figures, and its page
says so instead of drawing a figure.
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

BUILTINS = set(dir(builtins))


def python_source(source: str) -> str:
    """A cell's source as plain Python (IPython magics become function calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _loads(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stores(node) -> set[str]:
    return {n.id for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _base_name(node) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


#: Calls made as a statement that change nothing the later cells read.
SHOWS = {"print", "display", "len", "repr", "str", "Markdown", "HTML"}
#: Methods that change their object (when called as a statement); any method called
#: with ``inplace=True`` does too.
MUTATORS = {"fit", "fit_durations", "partial_fit", "append", "extend", "update", "insert",
            "pop", "remove", "clear", "sort", "shuffle", "seed", "add", "discard",
            "setdefault", "observe", "execute", "executescript", "commit", "close",
            "to_sql", "register", "load", "set"}


def _mutated_by_call(call) -> set[str]:
    """Names a call made as a statement may change (see :func:`cell_names`)."""
    inplace = any(k.arg == "inplace" for k in call.keywords)
    if isinstance(call.func, ast.Attribute):
        name = _base_name(call.func)
        if name and (call.func.attr in MUTATORS or inplace):
            return {name} | {a.id for a in call.args if isinstance(a, ast.Name)}
        return set()
    if isinstance(call.func, ast.Name) and call.func.id in SHOWS:
        return set()
    return {a.id for a in call.args if isinstance(a, ast.Name)}


def cell_names(source: str) -> tuple[set[str], set[str], set[str]]:
    """(defines, rebinds, uses) of one cell, at module level.

    ``defines`` is every global the cell may create or change: assigned names, defined
    functions and classes, imports, the object of an item or attribute assignment
    (``df["x"] = ...``) and, to be safe, the name arguments of a function called as a
    statement (``shuffle(x)``) and the object of a method that changes it
    (``model.fit(X)``, ``df.drop(..., inplace=True)``); ``df.head()`` changes nothing.
    ``rebinds`` are the names it replaces outright (a plain ``x = ...``, ``def x``,
    ``import x`` at the top level), so earlier definitions of them are not needed.
    ``uses`` is every global name it reads, inside its functions too.
    """
    tree = ast.parse(python_source(source))
    defines, rebinds, uses = set(), set(), set()
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defines.add(stmt.name)
            rebinds.add(stmt.name)
            local = _stores(stmt) | {a.arg for a in ast.walk(stmt) if isinstance(a, ast.arg)}
            uses |= _loads(stmt) - local
            continue
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            names = {(a.asname or a.name).split(".")[0] for a in stmt.names}
            defines |= names
            rebinds |= names
            continue
        stored = _stores(stmt)
        defines |= stored
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            rebinds |= stored
        for node in ast.walk(stmt):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for t in ast.walk(target):
                        if isinstance(t, ast.Attribute | ast.Subscript):
                            name = _base_name(t)
                            if name:
                                defines.add(name)
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            defines |= _mutated_by_call(stmt.value)
        uses |= _loads(stmt)
    return defines, rebinds - uses, (uses - BUILTINS)


def dependency_slice(sources: list[str], target: int) -> list[int]:
    """Indices of the cells before ``target`` that it needs, in order, then ``target``."""
    names = [cell_names(s) for s in sources]
    needed = set(names[target][2])
    keep = []
    for i in range(target - 1, -1, -1):
        defines, rebinds, uses = names[i]
        if defines & needed:
            keep.append(i)
            needed -= rebinds
            needed |= uses
    return sorted(keep) + [target]


def controls_of(registry: dict, before: set[int]) -> list[dict]:
    """Describe the value widgets (sliders, boxes, menus) created since ``before``."""
    import ipywidgets

    out = []
    for w in list(registry.values()):
        if id(w) in before or not hasattr(w, "value") or not getattr(w, "description", ""):
            continue
        if isinstance(w, ipywidgets.Image | ipywidgets.Output):
            continue
        item = {"kind": type(w).__name__, "description": w.description, "value": w.value}
        for key in ("min", "max", "step", "readout_format"):
            if hasattr(w, key):
                item[key] = getattr(w, key)
        if hasattr(w, "options"):
            item["options"] = [str(o[0]) if isinstance(o, tuple) else str(o) for o in w.options]
        out.append(item)
    return out


class FigureCatcher:
    """Keep a PNG of every figure a cell closes, shows or leaves open."""

    def __init__(self):
        self.pngs: dict[int, bytes] = {}

    @staticmethod
    def _png(fig) -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

    def keep_open(self):
        import matplotlib.pyplot as plt

        for number in plt.get_fignums():
            fig = plt.figure(number)
            self.pngs[id(fig)] = self._png(fig)

    @contextlib.contextmanager
    def watching(self):
        import matplotlib.pyplot as plt

        real_close, real_show = plt.close, plt.show

        def close(fig=None):
            import matplotlib.figure

            if fig is None or fig == "all":
                self.keep_open()
            elif isinstance(fig, matplotlib.figure.Figure):
                self.pngs[id(fig)] = self._png(fig)
            return real_close(fig)

        def show(*args, **kwargs):
            self.keep_open()
            real_close("all")

        plt.close, plt.show = close, show
        try:
            yield self
            self.keep_open()
        finally:
            plt.close, plt.show = real_close, real_show
            real_close("all")


def draw_defaults(path: Path, shell) -> dict[str, dict]:
    """Run each what-if cell of one lesson after the cells it needs; see the module doc."""
    nb = nbformat.read(path, as_version=4)
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    targets = [k for k, (_, c) in enumerate(code) if "what-if" in c.metadata.get("tags", [])]
    if not targets:
        return {}
    sources = [c.source for _, c in code]
    shell.reset(new_session=False)
    os.chdir(path.parent)  # the lesson's own folder, as when it runs in Jupyter
    from ipywidgets.widgets.widget import _instances as registry

    done: set[int] = set()
    results = {}
    for k in targets:
        index = str(code[k][0])
        start = time.perf_counter()
        sink = io.StringIO()
        try:
            todo = [j for j in dependency_slice(sources, k) if j not in done]
            for j in todo[:-1]:
                with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                    result = shell.run_cell(sources[j], silent=True)
                result.raise_error()
                done.add(j)
            before = {id(w) for w in registry.values()}
            catcher = FigureCatcher()
            with catcher.watching(), contextlib.redirect_stdout(sink), \
                    contextlib.redirect_stderr(sink):
                result = shell.run_cell(sources[k], silent=True)
            result.raise_error()
            done.add(k)
            results[index] = {
                "figures": [base64.b64encode(p).decode() for p in catcher.pngs.values()],
                "controls": controls_of(registry, before),
                "cells_run": len(todo),
                "seconds": round(time.perf_counter() - start, 2),
            }
        except Exception as err:  # noqa: BLE001 - shown on the page and by the build
            results[index] = {"figures": [], "controls": [],
                              "error": f"{type(err).__name__}: {err}",
                              "seconds": round(time.perf_counter() - start, 2)}
    return results


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    out = Path(argv[0]).resolve()
    paths = [Path(a).resolve() for a in argv[1:]]
    os.environ["MPLBACKEND"] = "Agg"
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.enable_gui = lambda gui=None: None  # `%matplotlib inline` needs no event loop here
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CRM_PROGRESS"] = str(Path(tmp) / "progress.json")
        for path in paths:
            results[path.name] = draw_defaults(path, shell)
    out.write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
