"""Fixtures for the kernel-agent suites: a real ipykernel with the agent bootstrapped."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from agent_helpers import KernelSession


@pytest.fixture(scope="session", autouse=True)
def cli_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The CLI's measurements and plan memory go to a folder of the test session, never to the
    user's data folder (``~/.local/share/elastic-notebook``): plans priced with another run's
    numbers made the tests depend on what had run on the machine before."""
    saved = os.environ.get("ELASTIC_NOTEBOOK_DATA_DIR")
    os.environ["ELASTIC_NOTEBOOK_DATA_DIR"] = str(tmp_path_factory.mktemp("cli-data"))
    yield
    if saved is None:
        os.environ.pop("ELASTIC_NOTEBOOK_DATA_DIR", None)
    else:
        os.environ["ELASTIC_NOTEBOOK_DATA_DIR"] = saved


@pytest.fixture(scope="module")
def agent_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelSession]:
    """One kernel per test module, with the agent loaded (no companion: records stay in memory)."""
    session = KernelSession().start(cwd=tmp_path_factory.mktemp("agent-kernel"))
    session.bootstrap()
    yield session
    session.stop()


@pytest.fixture
def nb(agent_kernel: KernelSession) -> KernelSession:
    """The module's agent kernel with an empty namespace."""
    agent_kernel.reset()
    return agent_kernel


@pytest.fixture(scope="module")
def plain_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelSession]:
    """A kernel without the agent, to compare what the user sees."""
    session = KernelSession("plain").start(cwd=tmp_path_factory.mktemp("plain-kernel"))
    yield session
    session.stop()
