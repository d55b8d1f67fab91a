"""Targets on real Jupyter servers: a second server configured as a target of the first is listed
reachable with its machine's facts; a wrong token, a stopped server and a malformed definition
are listed with their reasons; tokens never appear in an answer or a log; panel targets are kept
in a 0600 file; the CLI lists the same."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "corpus"))

from harness import run_cli  # noqa: E402
from jupyter_server_process import JupyterServer, free_port  # noqa: E402
from test_serverext import bootstrap, execute, kernel_client, wait_for_executions  # noqa: E402

WRONG_TOKEN = "wrong-token-0123456789abcdef-never-shown"
HUB_TOKEN = "hub-api-token-never-shown-42"
SCHEMAS = HERE.parents[1] / "protocol" / "lib" / "json-schema"


def write_config(folder: Path, targets: list[dict]) -> Path:
    """A Jupyter config file setting ``c.ElasticNotebookApp.targets`` (tokens stay off the command line)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "jupyter_targets_config.json"
    path.write_text(json.dumps({"ElasticNotebookApp": {"targets": targets}}))
    return path


@pytest.fixture(scope="module")
def there(tmp_path_factory: pytest.TempPathFactory):
    """The target: a plain server with the extension."""
    server = JupyterServer(tmp_path_factory.mktemp("there")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory, there: JupyterServer):
    """The server whose targets are listed: `there`, `there` with a wrong token, a closed port."""
    root = tmp_path_factory.mktemp("here")
    config = write_config(
        root / "config",
        [
            {"name": "there", "url": there.url, "token": there.token},
            {"name": "wrong token", "url": there.url + "/", "token": WRONG_TOKEN},
            {"name": "stopped", "url": f"http://127.0.0.1:{free_port()}", "token": "any-token"},
            {"name": "bad hub", "kind": "jupyterhub", "hubUrl": "http://127.0.0.1:9/", "apiToken": HUB_TOKEN},
        ],
    )
    # A package only this server (and its kernels) can import: a module the target lacks.
    packages = root / "packages" / "onlyhere_pkg"
    packages.mkdir(parents=True)
    (packages / "__init__.py").write_text("VALUE = 1\n")
    saved = dict(os.environ)
    os.environ["PYTHONPATH"] = str(packages.parent)
    try:
        server = JupyterServer(root, extra_args=[f"--config={config}"]).start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    yield server
    server.stop()


def targets_by_name(server: JupyterServer, query: str = "") -> tuple[dict, bytes]:
    """The listing by target name (checked against the protocol's JSON Schema), and its raw body."""
    resp = server.request("GET", f"/elastic-notebook/api/targets{query}")
    assert resp.status == 200, resp.body
    Draft202012Validator(json.loads((SCHEMAS / "target-list.json").read_text())).validate(resp.json())
    return {t["name"]: t for t in resp.json()["targets"]}, resp.body


def test_configured_target_is_reachable_with_its_facts(here: JupyterServer, there: JupyterServer) -> None:
    targets, body = targets_by_name(here)
    assert list(targets)[:4] == ["this machine", "there", "wrong token", "stopped"]
    local = targets["this machine"]
    assert local["kind"] == "local" and local["reachable"] is True and local["removable"] is False
    assert Path(local["machine"]["python"]["executable"]).parent == Path(sys.executable).parent

    target = targets["there"]
    assert target["kind"] == "jupyter" and target["origin"] == "config" and target["removable"] is False
    assert target["reachable"] is True, target["reason"]
    assert target["reason"] is None
    assert target["versionMatch"] is True
    assert target["url"] == there.url + "/"
    machine = target["machine"]
    assert machine["cpus"] >= 1
    assert 0 < machine["memory"]["freeBytes"] <= machine["memory"]["totalBytes"]
    # The target's free disk is measured where its own data lives.
    assert machine["disk"]["path"] == str(there.data_dir) and machine["disk"]["freeBytes"] > 0
    assert machine["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert isinstance(machine["gpus"], list)
    assert machine["cpuScore"] > 0 and target["relativeCpuSpeed"] > 0
    # Nothing was transferred yet: a small probe measured the bandwidth.
    assert target["bandwidthSource"] == "probe" and target["bandwidthBytesPerSec"] > 0
    assert there.token.encode() not in body


def test_wrong_token_and_stopped_server_are_unreachable(here: JupyterServer, there: JupyterServer) -> None:
    targets, body = targets_by_name(here)
    wrong = targets["wrong token"]
    assert wrong["reachable"] is False
    assert wrong["reason"] == "403: token refused" or wrong["reason"] == "401: token refused"
    assert wrong["machine"] is None and wrong["versionMatch"] is None
    stopped = targets["stopped"]
    assert stopped["reachable"] is False and stopped["reason"] == "connection refused"
    assert WRONG_TOKEN.encode() not in body and b"any-token" not in body
    # Neither the lister's log (its companion logs there too) nor its state files other than the
    # 0600 target files hold a token; the target saw the wrong one only in a header it does not log.
    state = [p.read_text(errors="replace") for p in here.data_dir.rglob("*") if p.is_file() and "targets" not in p.name]
    for text in (here.log_path.read_text(errors="replace"), *state):
        assert WRONG_TOKEN not in text and there.token not in text
    assert WRONG_TOKEN not in there.log_path.read_text(errors="replace")


def test_configured_targets_file_is_private(here: JupyterServer) -> None:
    path = here.data_dir / "configured-targets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    names = [t["name"] for t in json.loads(path.read_text())["targets"]]
    assert names == ["there", "wrong token", "stopped", "bad hub"]


def test_malformed_configured_target_is_logged_and_listed_not_fatal(here: JupyterServer) -> None:
    targets, body = targets_by_name(here)
    bad = targets["bad hub"]
    assert bad["reachable"] is False and bad["origin"] == "config" and bad["kind"] == "jupyterhub"
    assert bad["configError"] == "configured-targets.json: target 3: user: Invalid input: expected string, received undefined"
    log = here.log_path.read_text(errors="replace")
    assert "Elastic Notebook: ElasticNotebookApp.targets[3] ('bad hub'): user must be a non-empty string" in log
    assert HUB_TOKEN not in log and HUB_TOKEN.encode() not in body
    assert targets["there"]["reachable"] is True


def test_target_problems_name_the_field_never_the_value() -> None:
    from elastic_notebook.serverext.targets import target_problems

    problems = target_problems(
        [
            {"name": "a", "url": "http://h:1/", "token": "t"},
            {"name": "b", "url": "http://user:pw-secret@h/", "token": "t"},
            {"name": "c", "url": "http://h/", "tokne": "typo-secret"},
            {"name": "A", "url": "http://h/", "token": "t"},
            {"name": "d", "kind": "cluster"},
            "not a dict",
        ]
    )
    assert problems == [
        "ElasticNotebookApp.targets[1] ('b'): url must be an http(s) URL without credentials",
        "ElasticNotebookApp.targets[2] ('c'): unknown key 'tokne' (a jupyter target takes kind, name, token, url)",
        "ElasticNotebookApp.targets[3]: the name 'A' is used already (or reserved)",
        "ElasticNotebookApp.targets[4] ('d'): kind must be 'jupyter' or 'jupyterhub'",
        "ElasticNotebookApp.targets[5]: must be a dict",
    ]
    assert "secret" not in "".join(problems)


def test_session_modules_are_compared(here: JupyterServer) -> None:
    """With a kernel id, the packages its session imported are compared between here and there."""
    kernel_id = here.start_kernel()
    client = kernel_client(here, kernel_id)
    try:
        # Nothing recorded for the kernel yet: nothing to compare, and the listing still works.
        assert targets_by_name(here, f"?kernelId={kernel_id}")[0]["there"]["moduleMismatches"] == []
        bootstrap(here, kernel_id, client)
        assert execute(client, "%%intercept --cell-index 0\nimport onlyhere_pkg, jinja2\n")["status"] == "ok"
        graph = wait_for_executions(here, kernel_id, 1)
        assert {"onlyhere_pkg", "jinja2"} <= set(graph["executions"][0]["packagesLoaded"])
        targets, _ = targets_by_name(here, f"?kernelId={kernel_id}")
        # Found here (installed by no distribution: its version is unknown), missing there; jinja2 matches.
        assert targets["there"]["moduleMismatches"] == [{"module": "onlyhere_pkg", "here": "unknown", "there": None}]
        import importlib.metadata
        import tornado

        jinja = importlib.metadata.version("jinja2")
        assert targets["this machine"]["machine"]["modules"]["jinja2"] == jinja
        assert targets["there"]["machine"]["modules"]["jinja2"] == jinja
        machine = here.request("GET", "/elastic-notebook/api/machine?modules=tornado,no_such_module_xyz").json()
        assert machine["modules"] == {"tornado": tornado.version, "no_such_module_xyz": None}
        bad = here.request("GET", "/elastic-notebook/api/machine?modules=os.path")
        assert bad.status == 400 and "module names" in bad.json()["error"]
    finally:
        client.stop_channels()
        here.request("DELETE", f"/api/kernels/{kernel_id}")


def test_python_info_route_is_for_the_companion_only(here: JupyterServer) -> None:
    """The internal route answers local callers with the companion's secret only, not Jupyter users."""
    for token in (None, "default"):
        resp = here.request("POST", "/elastic-notebook/internal/python-info", {"modules": ["json"]}, token=token)
        assert resp.status == 401 and "X-Elastic-Notebook-Secret" in resp.json()["error"]


def test_malformed_targets_file_is_listed_not_fatal(here: JupyterServer) -> None:
    path = here.data_dir / "targets.json"
    path.write_text(json.dumps([{"name": "broken", "url": "ftp://nowhere", "token": "t0ken-in-file"}]))
    try:
        targets, body = targets_by_name(here)
        broken = targets["broken"]
        assert broken["reachable"] is False and broken["origin"] == "file"
        assert broken["reason"] == "targets.json: target 0: url: must be an http(s) URL"
        assert b"t0ken-in-file" not in body
        assert targets["there"]["reachable"] is True
    finally:
        path.unlink()


def test_panel_add_and_remove(here: JupyterServer, there: JupyterServer) -> None:
    refused = here.request("POST", "/elastic-notebook/api/targets", {"name": "p", "url": there.url, "token": WRONG_TOKEN})
    assert refused.status == 400 and "token refused" in refused.json()["error"]
    assert WRONG_TOKEN.encode() not in refused.body
    assert not (here.data_dir / "panel-targets.json").exists()
    bad = here.request("POST", "/elastic-notebook/api/targets", {"name": "p", "url": "file:///etc", "token": "x"})
    assert bad.status == 400 and bad.json()["error"] == "url: must be an http(s) URL"
    taken = here.request("POST", "/elastic-notebook/api/targets", {"name": "There", "url": there.url, "token": "x"})
    assert taken.status == 409

    added = here.request("POST", "/elastic-notebook/api/targets", {"name": "panel one", "url": there.url, "token": there.token})
    assert added.status == 201, added.body
    assert added.json()["reachable"] is True and added.json()["removable"] is True
    assert there.token.encode() not in added.body
    path = here.data_dir / "panel-targets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    targets, _ = targets_by_name(here)
    assert targets["panel one"]["origin"] == "panel"

    assert here.request("DELETE", "/elastic-notebook/api/targets/there").status == 403
    assert here.request("DELETE", "/elastic-notebook/api/targets/nobody").status == 404
    removed = here.request("DELETE", "/elastic-notebook/api/targets/panel%20one")
    assert removed.status == 200 and removed.json() == {"deleted": "panel one"}
    assert "panel one" not in targets_by_name(here)[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_cli_targets_json(here: JupyterServer, there: JupyterServer) -> None:
    run = run_cli(["targets", "--server", here.url, "--token", here.token, "--json"])
    names = {t["name"]: t for t in run.json["targets"]}
    assert names["there"]["reachable"] is True and names["stopped"]["reason"] == "connection refused"
    assert there.token not in run.stdout and WRONG_TOKEN not in run.stdout
    text = run_cli(["targets", "--server", here.url, "--token", here.token])
    lines = text.stdout.strip().splitlines()
    assert lines[0].startswith("this machine  [local")
    assert any(line.startswith("stopped  [jupyter") and "unreachable: connection refused" in line for line in lines)


def test_cli_targets_with_its_own_server() -> None:
    """Without --server the CLI starts a private server and lists what its companion sees."""
    run = run_cli(["targets", "--json"])
    first = run.json["targets"][0]
    assert first["name"] == "this machine" and first["reachable"] is True and first["machine"]["cpus"] >= 1


def test_stopped_target_becomes_unreachable(tmp_path: Path) -> None:
    """A target that was up and is stopped is listed unreachable on the next listing."""
    target = JupyterServer(tmp_path / "target").start()
    config = write_config(tmp_path / "config", [{"name": "t", "url": target.url, "token": target.token}])
    lister = JupyterServer(tmp_path / "lister", extra_args=[f"--config={config}"]).start()
    try:
        assert targets_by_name(lister)[0]["t"]["reachable"] is True
        target.stop()
        deadline = time.monotonic() + 10
        while (t := targets_by_name(lister)[0]["t"])["reachable"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert t["reachable"] is False and t["reason"] == "connection refused"
    finally:
        lister.stop()
        target.stop()
