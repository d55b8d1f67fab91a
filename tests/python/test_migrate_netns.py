"""The migration acceptance scenario (issue 11) between two machines made of network namespaces:
the source and the target Jupyter servers run in two namespaces made by this test (different
ports and root folders), and the migration goes over the veth pair that links them, slowed to
100 Mbit/s with tc. The same checks as tests/python/test_migrate.py (migration_checks.py): same cells, the
independent state comparison, a new cell on the target, the target's checkpoint holding the
source's executions; and the plan priced for the target. Where namespaces cannot be made (not root, no `ip`),
the same scenario runs over loopback and says so."""

from __future__ import annotations

import subprocess

import pytest

from jupyter_server_process import JupyterServer
from migration_checks import assert_acceptance, start_migration
from netns import NamespacePair
from test_migrate import CELLS, LiveSession, assert_matches_schema, assert_source_usable, incoming_left, target_sessions


@pytest.fixture(scope="module")
def machines(tmp_path_factory):
    """(source, target, the URL the source reaches the target at, the namespace pair or None)."""
    pair, why_not = NamespacePair.create()
    servers: list[JupyterServer] = []
    try:
        if pair is None:
            print(f"\nnetwork namespaces cannot be made here ({why_not}): the scenario runs over loopback")
            source = JupyterServer(tmp_path_factory.mktemp("source"), env={"ELASTIC_NOTEBOOK_CHUNK_BYTES": "16384"})
            target = JupyterServer(tmp_path_factory.mktemp("target"))
        else:
            print(f"\nsource in {pair.namespace('a')}, target in {pair.namespace('b')}, data path 100 Mbit/s")
            pair.limit("100mbit")
            source = JupyterServer(
                tmp_path_factory.mktemp("source"), env={"ELASTIC_NOTEBOOK_CHUNK_BYTES": "16384"}, **pair.server_args("a")
            )
            target = JupyterServer(tmp_path_factory.mktemp("target"), **pair.server_args("b"))
        for server in (source, target):
            servers.append(server.start())
        target_url = target.url if pair is None else pair.data_url("b", target.port)
        yield source, target, target_url, pair
    finally:
        for server in servers:
            server.stop()
        if pair is not None:
            pair.teardown()


def test_migrate_between_two_machines_in_network_namespaces(machines):
    source, target, target_url, pair = machines
    assert source.port != target.port and source.root != target.root
    if pair is not None:
        # Two machines: the target is reached on the limited data path, not at its control address.
        assert target_url.startswith(f"http://{pair.data_ip('b')}:")
        assert source.url.startswith(f"http://{pair.control_ip('a')}:")
    live = LiveSession(source, "proj/analysis.ipynb", CELLS)
    try:
        job = start_migration(live, {"targetUrl": target_url, "targetToken": target.token,
                                     "notebookPath": live.path, "kernelName": "python3"})
        assert job["state"] == "done", job
        assert target.token not in str(job)
        result = job["result"]
        assert_matches_schema("migrate-job-result", result)
        assert result["target"] == target_url
        assert result["notebookUrl"] == f"{target_url}/lab/tree/proj/analysis.ipynb"
        assert result["verification"]["ok"] is True, result["verification"]
        assert result["bytes"] > 2 * 16384  # several chunks

        # The plan was priced for the target: the bandwidth to it and its relative CPU speed.
        pricing = result["pricing"]
        assert pricing["bandwidthBytesPerS"] > 0 and pricing["bandwidthSource"] in ("measured", "probe"), pricing
        assert pricing["cpuRatio"] > 0 and pricing["cpuSource"] == "probe", pricing
        assert result["plan"]["costModel"]["transferBytesPerSec"] == pricing["bandwidthBytesPerS"]
        assert result["plan"]["costModel"]["targetSpeed"] == pricing["cpuRatio"]
        messages = [step["message"] for step in job["steps"]]
        assert any(m.startswith(f"priced for {target_url}: sending at ") for m in messages), messages
        if pair is not None:
            # The probe went through the 100 Mbit/s path: never faster than the link.
            assert pricing["bandwidthBytesPerS"] <= 100e6 / 8 * 1.1, pricing

        # The notebook is on the target, bound by a session to the restored kernel; nothing left over.
        copied = target.root / "work" / "proj" / "analysis.ipynb"
        assert copied.read_text() == (source.root / "work" / "proj" / "analysis.ipynb").read_text()
        (session,) = [s for s in target_sessions(target) if s["path"] == "proj/analysis.ipynb"]
        assert session["kernel"]["id"] == result["kernelId"]
        assert incoming_left(target) == []

        # Same values and sharing, a new cell sees them, a checkpoint there holds the source's history.
        assert_acceptance(live, target, result["kernelId"])
        assert_source_usable(live)
    finally:
        live.close()


def test_teardown_removes_every_namespace_and_link_it_made():
    pair, why_not = NamespacePair.create()
    if pair is None:
        print(f"\nnetwork namespaces cannot be made here ({why_not}): nothing to tear down")
        assert why_not
        return
    names = [pair.namespace("a"), pair.namespace("b")]
    links = list(pair.links)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert all(name in listed for name in names)
    pair.teardown()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not any(name in listed for name in names)
    for link in links:
        assert subprocess.run(["ip", "link", "show", link], capture_output=True).returncode != 0
