"""``call(name, b64args)``: the orchestrator's entry point into the agent (docs/checkpoint.md section 4).

Arguments and results are base64 of JSON, so the orchestrator never quotes Python. Expected
failures (bad arguments, unreadable files, a full disk) come back as ``{"ok": false, "error": ...}``;
only a bug in the agent raises (Jupyter reports it as a failed user expression).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Callable

from . import checkpoint as _checkpoint
from . import replay as _replay
from . import restore as _restore
from .payload import PayloadError


class CallError(Exception):
    """An expected failure: the message becomes the result's ``error``."""


def call(name: str, b64args: str, agent: Any) -> str:
    """Run the call ``name`` with base64-JSON ``b64args``; returns the base64-JSON result."""
    try:
        handler = _HANDLERS.get(name)
        if handler is None:
            raise CallError(f"unknown call {name!r}; the agent knows {', '.join(sorted(_HANDLERS))}")
        if agent is None and name != "status":
            raise CallError("the Elastic Notebook agent is not active in this kernel (run the bootstrap first)")
        result = handler(agent, _decode(b64args))
    except (CallError, _restore.RestoreError, PayloadError) as err:
        result = {"ok": False, "error": str(err)}
    except OSError as err:
        result = {"ok": False, "error": f"{type(err).__name__}: {err}"}
    return base64.b64encode(json.dumps(result, default=str).encode()).decode("ascii")


def _decode(b64args: str) -> dict:
    if not b64args:
        return {}
    try:
        args = json.loads(base64.b64decode(b64args, validate=True))
    except (binascii.Error, ValueError) as err:
        raise CallError(f"the arguments are not base64 of JSON: {err}") from None
    if not isinstance(args, dict):
        raise CallError("the arguments must be a JSON object")
    return args


# -- argument checks ---------------------------------------------------------------------------
def _str(args: dict, key: str, optional: bool = False) -> Any:
    value = args.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise CallError(f"'{key}' must be a non-empty string, got {value!r}")
    return value


def _int(args: dict, key: str) -> int:
    value = args.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CallError(f"'{key}' must be a non-negative integer, got {value!r}")
    return value


def _names(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(n, str) and n for n in value):
        raise CallError(f"{what} must be a list of variable names, got {value!r}")
    return value


def _groups(args: dict, with_files: bool) -> list[dict]:
    groups = args.get("groups")
    if not isinstance(groups, list):
        raise CallError(f"'groups' must be a list, got {groups!r}")
    checked = []
    for group in groups:
        if not isinstance(group, dict):
            raise CallError(f"each group must be an object, got {group!r}")
        entry = {"index": _int(group, "index"), "members": _names(group.get("members"), "'members'")}
        if with_files:
            entry["file"] = _str(group, "file")
            entry["checksum"] = _str(group, "checksum")
        checked.append(entry)
    indexes = [g["index"] for g in checked]
    if len(set(indexes)) != len(indexes):
        raise CallError("two groups have the same index")
    return checked


# -- the calls ---------------------------------------------------------------------------------
def status_of(agent: Any) -> dict:
    """Whether ``agent`` records (None: not active) and how far it is: recorded, acknowledged, last error."""
    if agent is None:
        return {"active": False}
    return {
        "active": True,
        "runId": agent.run_id,
        "recorded": len(agent.sender.all),
        "acknowledged": agent.sender.acked,
        "lastError": agent.last_error or agent.sender.last_error,
    }


def _call_status(agent: Any, _args: dict) -> dict:
    return status_of(agent)


def _call_checkpoint(agent: Any, args: dict) -> dict:
    return _checkpoint.checkpoint(
        agent.shell.user_ns,
        agent.randomness,
        _str(args, "stagingDir"),
        _groups(args, with_files=False),
        _names(args.get("variables", []), "'variables'"),
        _str(args, "progressFile", optional=True),
    )


def _call_prepare(agent: Any, args: dict) -> dict:
    directory = _str(args, "dir", optional=True)
    random_file = _str(args, "random", optional=True)
    if (directory is None) != (random_file is None):
        raise CallError("'dir' and 'random' go together: the bundle folder and random.pkl inside it")
    path = _restore.bundle_path(directory, random_file) if directory and random_file else None
    return _restore.prepare(agent.randomness, _int(args, "execution"), path, _str(args, "checksum", optional=True))


def _call_load(agent: Any, args: dict) -> dict:
    return _restore.load(agent.shell.user_ns, _str(args, "dir"), _groups(args, with_files=True))


def _call_verify(agent: Any, args: dict) -> dict:
    return _restore.verify(agent.shell.user_ns, agent.shell.user_ns_hidden, _fingerprints(args))


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CallError(f"{what} must be a list of strings, got {value!r}")
    return value


def _imports_args(args: dict) -> dict:
    return {"codes": _strings(args.get("codes", []), "'codes'"), "available": _strings(args.get("available", []), "'available'")}


def _call_imports(agent: Any, args: dict) -> dict:
    return _replay.imports(agent, **_imports_args(args))


def _steps(args: dict) -> list[dict]:
    steps = args.get("steps")
    if not isinstance(steps, list):
        raise CallError(f"'steps' must be a list, got {steps!r}")
    checked = []
    for step in steps:
        kind = step.get("kind") if isinstance(step, dict) else None
        if kind == "rerun":
            if not isinstance(step.get("code"), str):
                raise CallError(f"a rerun step needs its 'code' as a string, got {step.get('code')!r}")
            checked.append({"kind": "rerun", "execution": _int(step, "execution"), "code": step["code"]})
        elif kind == "load":
            checked.append({"kind": "load", "groups": _groups(step, with_files=True)})
        else:
            raise CallError(f"each step must be {{'kind': 'rerun'|'load', ...}}, got {step!r}")
    return checked


def _call_restore(agent: Any, args: dict) -> dict:
    """Checks the arguments of ``restore`` (docs/checkpoint.md section 4) and runs it."""
    steps = _steps(args)
    directory = _str(args, "dir", optional=True)
    if directory is None and any(s["kind"] == "load" for s in steps):
        raise CallError("'dir' (the bundle folder) is needed to load groups")
    checked: dict[str, Any] = {"steps": steps, "dir": directory, "randomFile": None, "randomChecksum": None}
    random = args.get("random")
    if random is not None:
        if not isinstance(random, dict):
            raise CallError(f"'random' must be {{'dir', 'file', 'checksum'}}, got {random!r}")
        checked["randomFile"] = _restore.bundle_path(_str(random, "dir"), _str(random, "file"))
        checked["randomChecksum"] = _str(random, "checksum", optional=True)
    budget = args.get("budgetMs")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget <= 0):
        raise CallError(f"'budgetMs' must be a positive number or null, got {budget!r}")
    checked["budgetMs"] = budget
    if args.get("imports") is not None:
        if not isinstance(args["imports"], dict):
            raise CallError(f"'imports' must be {{'codes', 'available'}}, got {args['imports']!r}")
        checked["imports"] = _imports_args(args["imports"])
    finish = args.get("finish")
    if finish is not None:
        if not isinstance(finish, dict):
            raise CallError(f"'finish' must be {{'fingerprints', 'adopt'?}}, got {finish!r}")
        checked["finish"] = {"fingerprints": _fingerprints(finish)}
        adopt = finish.get("adopt")
        if adopt is not None:
            checked["finish"]["adopt"] = _adopt_args(adopt if isinstance(adopt, dict) else {})
    return _replay.run_steps(agent, checked)


def _fingerprints(args: dict) -> dict:
    fingerprints = args.get("fingerprints")
    if not isinstance(fingerprints, dict) or not all(isinstance(v, dict) for v in fingerprints.values()):
        raise CallError("'fingerprints' must map variable names to {digest, comparable}")
    return fingerprints


def _adopt_args(args: dict) -> dict:
    directory = _str(args, "dir")
    random_file = _str(args, "random", optional=True)
    return {
        "history": _restore.bundle_path(directory, _str(args, "history")),
        "random": _restore.bundle_path(directory, random_file) if random_file else None,
        "checksums": {
            "history": _str(args, "historyChecksum", optional=True),
            "random": _str(args, "randomChecksum", optional=True),
        },
    }


def _call_adopt(agent: Any, args: dict) -> dict:
    adopt = _adopt_args(args)
    return _restore.adopt(agent, adopt["history"], adopt["random"], adopt["checksums"])


_HANDLERS: dict[str, Callable[[Any, dict], dict]] = {
    "status": _call_status,
    "checkpoint": _call_checkpoint,
    "prepare": _call_prepare,
    "load": _call_load,
    "verify": _call_verify,
    "adopt": _call_adopt,
    "imports": _call_imports,
    "restore": _call_restore,
}
