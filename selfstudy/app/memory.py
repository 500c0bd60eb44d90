"""The server's long-lived objects, set apart from the garbage collector's full passes.

Streamlit runs a full garbage collection after every script run, fragments too
(`runner.postScriptGC`, to keep memory from building up). A full pass walks every
object Python tracks, and most of them are what imports made and never free: the
modules, classes and functions of Streamlit, pandas, Altair, pydantic and SQLAlchemy,
about 140,000 objects once a page has been drawn. Walking them took 90 ms or more of
every answer click (a fragment rerun of some 30 to 50 ms of work) on a 2-core machine.

So whenever a run has imported new modules, what is alive then is collected once and
frozen (`gc.freeze`): later passes, Streamlit's after each run and Python's own, walk
only what was made since, and the garbage of every run is still collected. A frozen
object that later becomes garbage is freed at once when nothing refers to it, as almost
everything is, but never by a pass that breaks cycles; and only what is alive at a
freeze is frozen, a handful of times per server (a page's first visit imports what it
needs), so what can be kept that way is bounded.
"""

from __future__ import annotations

import gc
import sys
import threading

_lock = threading.Lock()
_modules_frozen = 0  # how many modules were imported at the last freeze


def freeze_after_imports() -> None:
    """Freeze what is alive if modules were imported since the last freeze (cheap otherwise)."""
    global _modules_frozen
    if len(sys.modules) <= _modules_frozen:
        return
    with _lock:
        if len(sys.modules) <= _modules_frozen:
            return
        _modules_frozen = len(sys.modules)
        gc.collect()  # only what is alive is frozen
        gc.freeze()
