"""Keep IPython's input history free of the hidden ``%%intercept`` header.

IPython stores the *raw* cell (header included) in ``input_hist_raw``, in the ``_i``/``_iN``
input-cache variables and in the history database, after ``pre_run_cell`` and before the code
runs. :class:`HistoryFixer` puts the user's source in all of these, so ``%history -r``, ``_i`` and
the database look exactly as without the agent. The database is written by IPython's saving
thread; while an intercepted cell runs we hold its flush back (``db_cache_size``) so the raw
entry is corrected before it reaches the disk, and we correct the row if it got there anyway.
"""

from __future__ import annotations

import sys
from typing import Any

from .intercept import body_of


class HistoryFixer:
    """Rewrites the history entries of one intercepted cell at a time."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._saved_cache_size: int | None = None

    def hold(self) -> None:
        """Before the cell: keep IPython from flushing the raw entry to the database."""
        hm = getattr(self.shell, "history_manager", None)
        if hm is None or self._saved_cache_size is not None:
            return
        self._saved_cache_size = hm.db_cache_size
        hm.db_cache_size = sys.maxsize

    def fix(self, raw_cell: str, execution_count: int | None) -> None:
        """After the cell: replace the raw cell with its body wherever IPython stored it."""
        hm = getattr(self.shell, "history_manager", None)
        if hm is None:
            return
        try:
            self._fix_entries(hm, raw_cell, execution_count)
        finally:
            self._release(hm)

    def _fix_entries(self, hm: Any, raw_cell: str, execution_count: int | None) -> None:
        stored = raw_cell.rstrip("\n")
        body = body_of(raw_cell).rstrip("\n")
        raw = hm.input_hist_raw
        if not raw or raw[-1] != stored:
            return  # store_history was off: nothing was stored
        raw[-1] = body
        if hm._i00 == stored:
            hm._i00 = body
        if hm._i == stored:
            hm._i = body
        ns = self.shell.user_ns
        for name in ("_i", f"_i{execution_count}"):
            if ns.get(name) == stored:
                ns[name] = body
        written = False
        with hm.db_input_cache_lock:
            cache = hm.db_input_cache
            for k in range(len(cache) - 1, -1, -1):
                line_num, source, source_raw = cache[k]
                if line_num == execution_count and source_raw == stored:
                    cache[k] = (line_num, source, body)
                    break
            else:
                written = True
        if written and getattr(hm, "enabled", False) and execution_count is not None:
            # The saving thread was faster (a flush requested by an earlier cell): fix the row.
            with hm.db:
                hm.db.execute(
                    "UPDATE history SET source_raw=? WHERE session=? AND line=? AND source_raw=?",
                    (body, hm.session_number, execution_count, stored),
                )

    def _release(self, hm: Any) -> None:
        size, self._saved_cache_size = self._saved_cache_size, None
        if size is None:
            return
        hm.db_cache_size = size
        # Ask for the flush that store_inputs would have asked for.
        with hm.db_input_cache_lock:
            due = len(hm.db_input_cache) >= size
        if due and getattr(hm, "using_thread", False):
            hm._restart_thread_if_stopped()
            if hm.save_flag is not None:
                hm.save_flag.set()
