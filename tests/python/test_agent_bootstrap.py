"""Loading the agent: from its folder, idempotent, a fresh run per process, clear errors, and
nothing but the standard library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent_helpers import AGENT, KernelSession
from elastic_notebook.bootstrap import AGENT_DIR, MODULE_NAME, bootstrap_code


def _status(session: KernelSession) -> dict:
    return session.evaluate(f"__import__('json').dumps({AGENT}.status())")


def test_bootstrap_code_names_the_agent_folder_and_arguments() -> None:
    code = bootstrap_code("k-1", "http://127.0.0.1:9", "tok")
    compile(code, "<bootstrap>", "exec")
    assert repr(str(AGENT_DIR)) in code
    assert "submodule_search_locations" in code and repr(MODULE_NAME) in code
    assert "kernel_id='k-1'" in code and "companion_url='http://127.0.0.1:9'" in code
    assert "sys.path" not in code


def test_bootstrap_is_idempotent_and_restart_gives_a_new_run(tmp_path: Path) -> None:
    session = KernelSession("boot-kernel").start(cwd=tmp_path)
    try:
        session.bootstrap()
        first = _status(session)
        session.run("a = 1")
        session.bootstrap()  # again, as the frontend does on every kernel change
        assert _status(session)["runId"] == first["runId"]
        ex = session.run("b = a")
        assert ex.record["seq"] == 1
        handlers = session.evaluate(
            "str(sum(1 for t in get_ipython().input_transformers_cleanup if t.__module__.startswith('_elastic')))"
        )
        assert handlers == 1
        assert session.execute("print(b)").stdout == "1\n"
        session.manager.restart_kernel(now=True)
        session.client.wait_for_ready(timeout=60)
        session.bootstrap()
        session.seen = 0
        assert _status(session)["runId"] != first["runId"]
        assert session.run("c = 3").record["seq"] == 0
    finally:
        session.stop()


def test_bad_arguments_give_a_clear_error_and_change_nothing(nb: KernelSession) -> None:
    run_id = _status(nb)["runId"]
    ex = nb.execute(bootstrap_code("k", "ftp://example", "t"), silent=True, store_history=False)
    assert ex.status == "error"
    assert ex.reply["ename"] == "ValueError"
    assert "companion_url must be an http(s) URL" in ex.reply["evalue"]
    ex = nb.execute(bootstrap_code("", None, None), silent=True, store_history=False)
    assert ex.reply["evalue"] == "kernel_id must be a non-empty string without '/', got ''"
    ex = nb.execute(bootstrap_code("k", "http://127.0.0.1:1", None), silent=True, store_history=False)
    assert "ingest_token is required" in ex.reply["evalue"]
    assert _status(nb)["runId"] == run_id
    assert nb.run("still = 1").writes == {"still"}
    assert nb.evaluate("__import__('json').dumps(sorted(n for n in dir() if 'elastic' in n))") == []


def test_agent_loads_with_the_standard_library_only() -> None:
    """In a bare interpreter (no site packages), loading every module imports nothing else."""
    script = f"""
import importlib.util, json, sys
before = set(sys.modules)
spec = importlib.util.spec_from_file_location({MODULE_NAME!r}, {str(AGENT_DIR / '__init__.py')!r},
                                              submodule_search_locations=[{str(AGENT_DIR)!r}])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
new = sorted(m for m in set(sys.modules) - before if not m.startswith({MODULE_NAME!r}))
print(json.dumps(new))
"""
    bare = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=60)
    assert bare.returncode == 0, bare.stderr
    # With site packages available, only the optional hasher may be picked up.
    full = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60)
    assert full.returncode == 0, full.stderr
    heavy = {"numpy", "pandas", "dill", "cloudpickle", "IPython", "torch"}
    for new in (json.loads(bare.stdout), json.loads(full.stdout)):
        assert not heavy & {name.split(".")[0] for name in new}, new


def test_loading_in_a_kernel_imports_no_heavy_library(nb: KernelSession) -> None:
    nb.run("x = [1, 2]")
    loaded = nb.evaluate("__import__('json').dumps([m for m in ('numpy', 'pandas') if m in __import__('sys').modules])")
    assert loaded == []
