"""Jupyter server configuration for the Galata UI tests (never use it for anything else)."""

from tempfile import mkdtemp

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 - `c` is provided by Jupyter's config loader
c.ServerApp.allow_root = True  # noqa: F821 - CI machines run as root
c.ElasticNotebookApp.data_dir = mkdtemp(prefix="elastic-notebook-ui-tests-")  # noqa: F821
