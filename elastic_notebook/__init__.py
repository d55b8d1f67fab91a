"""Elastic Notebook: live migration for JupyterLab sessions.

The Python side has two parts: the jupyter_server extension (:mod:`elastic_notebook.serverext`),
which runs the companion server and puts Jupyter's authentication in front of it, and the kernel
agent (:mod:`elastic_notebook.agent`), which is loaded into kernels from its folder.
"""

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "elastic-notebook"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .serverext.app import ElasticNotebookApp

    return [{"module": "elastic_notebook.serverext.app", "app": ElasticNotebookApp}]
