"""Jupyter server configuration for the Galata UI tests (never use it for anything else)."""

import os
from tempfile import mkdtemp

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 - `c` is provided by Jupyter's config loader
# Galata's default port, or another one so that two checkouts can run the suite side by side.
c.ServerApp.port = int(os.environ.get("ELASTIC_NOTEBOOK_UI_PORT", "8888"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821 - CI machines run as root
# A fresh history store per run, so that earlier runs never leak into assertions.
c.ElasticNotebookApp.data_dir = mkdtemp(prefix="elastic-notebook-ui-tests-")  # noqa: F821
