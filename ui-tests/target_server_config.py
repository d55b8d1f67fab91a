"""Jupyter server configuration of the second machine in the migration UI test (never use it for
anything else): a real JupyterLab with a token, its own root folder and data folder, all given by
the test through the environment."""

import os

c.ServerApp.port = int(os.environ["ELASTIC_NOTEBOOK_TARGET_PORT"])  # noqa: F821 - provided by Jupyter
c.ServerApp.port_retries = 0  # noqa: F821
c.ServerApp.open_browser = False  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821 - CI machines run as root
c.ServerApp.root_dir = os.environ["ELASTIC_NOTEBOOK_TARGET_ROOT"]  # noqa: F821
c.IdentityProvider.token = os.environ["ELASTIC_NOTEBOOK_TARGET_TOKEN"]  # noqa: F821
c.ElasticNotebookApp.data_dir = os.environ["ELASTIC_NOTEBOOK_TARGET_DATA"]  # noqa: F821
c.LabApp.expose_app_in_browser = True  # noqa: F821
