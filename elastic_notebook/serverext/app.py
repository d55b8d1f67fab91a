"""The jupyter_server extension: starts the companion and registers the authenticated routes."""

from __future__ import annotations

import threading
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from traitlets import Dict, List, Unicode

from .. import __version__
from ..bootstrap import compile_agent
from .companion import Companion, CompanionError, find_companion_script, find_node
from .handlers import route_patterns
from .internal import internal_url
from .nodelay import send_kernel_messages_at_once
from .targets import target_problems, write_configured_targets


class ElasticNotebookApp(ExtensionApp):
    """Elastic Notebook server extension (configure as ``c.ElasticNotebookApp.<option>``)."""

    name = "elastic_notebook"
    load_other_extensions = True

    node = Unicode("", config=True, help="Path to the Node.js executable (default: `node` on PATH).")
    companion_script = Unicode(
        "", config=True, help="Path to the companion's main.js (default: the bundled or built copy)."
    )
    data_dir = Unicode(
        "",
        config=True,
        help="Folder for the companion's state (history graphs). Default: <jupyter data dir>/elastic_notebook.",
    )
    checkpoint_root = Unicode(
        "",
        config=True,
        help=(
            "Where checkpoints made from JupyterLab go by default, and the root whose checkpoints restore "
            "without an extra confirmation: a folder or s3://bucket/prefix. Default: <data_dir>/checkpoints."
        ),
    )

    targets = List(
        Dict(),
        default_value=[],
        config=True,
        help=(
            "Where sessions can be moved. Each a dict: a Jupyter server running this extension "
            "{'name', 'url', 'token'}, or a JupyterHub named server {'name', 'kind': 'jupyterhub', 'hubUrl', "
            "'apiToken', 'user', 'server' (optional, default server ''), 'profile' (optional), "
            "'userOptions' (optional)}. Tokens are handed to the companion in a 0600 file, never shown. "
            "A malformed entry is logged and listed with what is wrong, never fatal."
        ),
    )

    companion: Companion | None = None

    def initialize_settings(self) -> None:
        data_dir = Path(self.data_dir or Path(jupyter_data_dir()) / "elastic_notebook").expanduser()
        # A malformed target is reported (and listed by the companion as an error entry), never fatal.
        for problem in target_problems(list(self.targets)):
            self.log.warning("Elastic Notebook: %s", problem)
        # Before the companion starts: it reads them from there (tokens never go on a command line).
        write_configured_targets(data_dir, list(self.targets))
        self.companion = Companion(
            node=find_node(self.node),
            script=find_companion_script(self.companion_script),
            data_dir=data_dir,
            log=self.log,
            checkpoint_root=self.checkpoint_root,
        )
        self.settings.update(
            elastic_notebook_companion=self.companion,
            elastic_notebook_version=__version__,
        )
        # Agent calls from the CLI (and small cells from JupyterLab) go through kernel websockets:
        # ~3 ms per round trip instead of ~45 ms (see nodelay.py).
        # (These settings hold the web app's, and are copied back into it after this method.)
        send_kernel_messages_at_once(self.settings)
        # Every bootstrap loads the agent from source; compiled once here, kernels load bytecode.
        threading.Thread(target=compile_agent, name="elastic-notebook-compile-agent", daemon=True).start()

    def initialize_handlers(self) -> None:
        self.handlers.extend(route_patterns())

    async def _start_jupyter_server_extension(self, serverapp) -> None:  # noqa: ANN001
        assert self.companion is not None
        # Known only now: the server listens (and has picked its port) before extensions start.
        self.companion.jupyter_url = internal_url(serverapp)
        self.companion.jupyter_root = str(Path(serverapp.root_dir).expanduser().resolve())
        try:
            await self.companion.start()
        except (CompanionError, OSError) as err:
            # Keep Jupyter running; the routes answer 503 with this reason until it is fixed.
            self.companion.record_failure(str(err))
            self.log.error("Elastic Notebook companion failed to start: %s", err)

    async def stop_extension(self) -> None:
        if self.companion is not None:
            await self.companion.stop()
