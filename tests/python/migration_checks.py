"""The acceptance checks of a migrated session (issue 11), shared by the migration suites that
move a session another way than test_migrate.py's direct transfer: the restored kernel is
isomorphic to the source by the independent comparison, a new cell there sees the variables, and
a checkpoint taken there holds the source's executions too."""

from __future__ import annotations

from jupyter_server_process import JupyterServer
from state_compare import assert_isomorphic, dump_kernel
from test_migrate import CELLS, LiveSession
from test_serverext import kernel_client
from test_serverext_checkpoint import ask, run, wait_job


def assert_acceptance(live: LiveSession, server: JupyterServer, kernel_id: str) -> None:
    """``kernel_id`` on ``server`` holds ``live``'s session (which ran ``CELLS``) and continues it."""
    client = kernel_client(server, kernel_id)
    try:
        assert_isomorphic(dump_kernel(live.client), dump_kernel(client), "source vs migrated")
        new_cell = (
            f"%%intercept --cell-index {len(CELLS)} --cell-id cell-{len(CELLS)}\n"
            "check = (scaled(2), counter(), sq.describe(), alias is shared, holder['model'] is model, "
            "round(float(view.sum() - X[:50].sum()), 6), list(frame.columns), accuracy == model.score(X, y))"
        )
        assert run(client, new_cell)["status"] == "ok"
        assert ask(client, "check") == "(6, 12, 'square!', True, True, 0.0, ['a', 'b', 'c', 'label'], True)"
        assert ask(client, "view.base is X or view.base is X.base") == "True"
    finally:
        client.stop_channels()
    resp = server.request(
        "POST",
        f"/elastic-notebook/api/kernels/{kernel_id}/checkpoints",
        {"notebookPath": live.path, "kernelName": "python3"},
    )
    assert resp.status == 202, resp.body
    checkpoint = wait_job(server, resp.json()["jobId"])
    assert checkpoint["state"] == "done", checkpoint
    assert checkpoint["result"]["executions"] == len(CELLS) + 1
    graph = server.request("GET", f"/elastic-notebook/api/kernels/{kernel_id}/graph").json()
    assert [e["code"].rstrip("\n") for e in graph["executions"][: len(CELLS)]] == CELLS


def start_migration(live: LiveSession, body: dict) -> dict:
    """Start migrating ``live``'s kernel with ``body`` (the route's JSON) and wait for the job."""
    resp = live.server.request("POST", f"/elastic-notebook/api/kernels/{live.kernel_id}/migrate", body)
    assert resp.status == 202, resp.body
    return wait_job(live.server, resp.json()["jobId"])


def kernel_running(server: JupyterServer, kernel_id: str) -> bool:
    return server.request("GET", f"/api/kernels/{kernel_id}").status == 200
