"""The code that loads the kernel agent into a running kernel."""

from __future__ import annotations

from pathlib import Path

AGENT_DIR = Path(__file__).resolve().parent / "agent"
MODULE_NAME = "_elastic_notebook_agent"

_TEMPLATE = '''\
def _elastic_notebook_bootstrap():
    import importlib.util, sys
    name = {module!r}
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(
            name, {init!r}, submodule_search_locations=[{folder!r}])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return module.activate(get_ipython(), kernel_id={kernel_id!r},
                           companion_url={url!r}, ingest_token={token!r})
try:
    _elastic_notebook_bootstrap()
finally:
    del _elastic_notebook_bootstrap
'''


def compile_agent() -> bool:
    """Write the agent's bytecode next to its sources (``__pycache__``), as installing a package does.

    Kernels load the agent from its folder on every bootstrap; without bytecode each one compiles
    all of it again (about 90 ms of a bootstrap), for instance under ``PYTHONDONTWRITEBYTECODE``,
    which also keeps the kernel from writing the cache itself. Up-to-date files are left alone,
    so this costs a few stat calls after the first time. False when the folder is read-only
    (nothing lost but speed).
    """
    import compileall

    try:
        return bool(compileall.compile_dir(str(AGENT_DIR), quiet=2, maxlevels=0))
    except OSError:
        return False


def bootstrap_code(kernel_id: str, companion_url: str | None, ingest_token: str | None) -> str:
    """Python source that loads the agent from its folder (nothing installed, no ``sys.path``
    change, no names left in the user namespace) and activates it for ``kernel_id``."""
    return _TEMPLATE.format(
        module=MODULE_NAME,
        init=str(AGENT_DIR / "__init__.py"),
        folder=str(AGENT_DIR),
        kernel_id=kernel_id,
        url=companion_url,
        token=ingest_token,
    )
