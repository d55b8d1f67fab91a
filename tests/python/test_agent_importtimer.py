"""The import timer of group loads: it times every import made while installed (outermost only),
and the modules it saw imported keep their real loaders."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from test_agent_units import agent  # the agent package, loaded from its folder

importtimer = sys.modules[agent.__name__ + ".importtimer"]


def test_imports_are_timed_once_however_nested(tmp_path: Path, monkeypatch) -> None:
    package = tmp_path / "en_timed_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("import time\ntime.sleep(0.05)\nfrom . import inner\n")
    (package / "inner.py").write_text("import time\ntime.sleep(0.05)\nVALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = list(sys.meta_path)
    t0 = time.perf_counter()
    with importtimer.ImportTimer() as timer:
        module = importlib.import_module("en_timed_pkg")
        assert timer in sys.meta_path
    elapsed = (time.perf_counter() - t0) * 1000
    try:
        assert sys.meta_path == before
        assert module.inner.VALUE == 7
        # Both sleeps, counted once (the inner import runs inside the outer one).
        assert 100 <= timer.ms <= elapsed + 1, (timer.ms, elapsed)
        for m in (module, module.inner):
            assert type(m.__loader__).__name__ == "SourceFileLoader" and m.__spec__.loader is m.__loader__
        # A module imported already is no import: nothing more is timed.
        with importtimer.ImportTimer() as again:
            importlib.import_module("en_timed_pkg.inner")
        assert again.ms == 0.0
    finally:
        for name in ("en_timed_pkg.inner", "en_timed_pkg"):
            sys.modules.pop(name, None)


def test_a_failing_import_is_timed_and_raises_as_usual(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "en_timed_broken.py").write_text("import time\ntime.sleep(0.02)\nraise ValueError('broken module')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with importtimer.ImportTimer() as timer:
        try:
            importlib.import_module("en_timed_broken")
        except ValueError as err:
            assert str(err) == "broken module"
        else:
            raise AssertionError("the import should have raised")
        try:
            importlib.import_module("en_timed_missing_module")
        except ModuleNotFoundError:
            pass
    assert timer.ms >= 20 and timer.depth == 0
    assert "en_timed_broken" not in sys.modules
