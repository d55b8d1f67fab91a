"""Two machines on one host for migration tests and benchmarks: two network namespaces made here,
linked by a veth pair (the data path, which a ``tc`` rate limit can slow down), each also reachable
from this process over a veth pair of its own (the control path: the test's own requests and
kernel connections). Addresses come from a test-only block of 10.x private addresses picked at
random among those this host does not route yet; every name carries a unique suffix, and
``teardown`` deletes exactly what was made (deleting a namespace deletes the veth ends in it,
and so their peers). Traffic only ever goes to addresses inside these namespaces.

Needs root and iproute2's ``ip`` and ``tc``: ``NamespacePair.create()`` returns ``None`` with the
reason when the machine does not allow it, and callers then run the same scenario over loopback.

    pair, why_not = NamespacePair.create()   # (None, reason) where not allowed
    try:
        pair.limit("100mbit")                      # the data path at 100 Mbit/s, both ways
        source = JupyterServer(root, **pair.server_args("a")).start()
        target = JupyterServer(root2, **pair.server_args("b")).start()
        target_url = pair.data_url("b", target.port)  # what the source reaches the target at
    finally:
        pair.teardown()
"""

from __future__ import annotations

import ipaddress
import os
import random
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field


class NamespaceError(RuntimeError):
    """A namespace command failed (its stderr is in the message)."""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``ip ARGS``; raise ``NamespaceError`` with its stderr when it fails and ``check``."""
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise NamespaceError(f"ip {' '.join(args)}: {proc.stderr.strip() or proc.returncode}")
    return proc


def why_not_available() -> str | None:
    """Why namespaces cannot be made here, or None when they can be tried."""
    if os.name != "posix" or os.geteuid() != 0:
        return "not root"
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"no `{tool}` command (iproute2)"
    return None


def routed_prefixes() -> str:
    """This host's IPv4 routes and addresses as text (to avoid reusing a block)."""
    return ip("-4", "route", "show", "table", "all", check=False).stdout + ip("-4", "addr", check=False).stdout


@dataclass
class NamespacePair:
    """Namespaces ``a`` and ``b`` with their addresses; see the module's docstring."""

    suffix: str
    block: ipaddress.IPv4Network  # a /28 holding the three /30 links below
    made: list[str] = field(default_factory=list)  # namespaces made, for teardown
    links: list[str] = field(default_factory=list)  # root-side veth ends made, for teardown
    rate: str | None = None

    # -- names and addresses -------------------------------------------------------------------

    def namespace(self, side: str) -> str:
        return f"en-{self.suffix}-{side}"

    def _address(self, offset: int) -> str:
        return str(self.block.network_address + offset)

    def data_ip(self, side: str) -> str:
        """The address of ``side`` on the data path (a: .1, b: .2 of the block)."""
        return self._address(1 if side == "a" else 2)

    def control_ip(self, side: str) -> str:
        """The address of ``side`` on its control link, reachable from this process."""
        return self._address(6 if side == "a" else 10)

    def data_url(self, side: str, port: int) -> str:
        return f"http://{self.data_ip(side)}:{port}"

    def exec_prefix(self, side: str) -> list[str]:
        """The command prefix that runs a program inside ``side``'s namespace."""
        return ["ip", "netns", "exec", self.namespace(side)]

    def server_args(self, side: str) -> dict:
        """``JupyterServer`` arguments for a server inside ``side``: it listens on every address of
        that namespace (its control and data addresses), is asked at its control address, and
        its kernels listen there too, so that this process can connect to them."""
        return {
            "host": self.control_ip(side),
            "bind_ip": "0.0.0.0",
            "launcher": self.exec_prefix(side),
            "extra_args": [f"--KernelManager.ip={self.control_ip(side)}"],
        }

    # -- life cycle ------------------------------------------------------------------------------

    @classmethod
    def create(cls) -> "tuple[NamespacePair | None, str | None]":
        """Make the pair: ``(pair, None)``, or ``(None, why)`` when the machine does not allow it
        (whatever was made before a failure is removed)."""
        reason = why_not_available()
        if reason is not None:
            return None, reason
        taken = routed_prefixes()
        for _ in range(50):
            block = ipaddress.IPv4Network(f"10.{random.randint(200, 249)}.{random.randint(0, 255)}.{16 * random.randint(0, 15)}/28")
            prefix = str(block.network_address).rsplit(".", 1)[0] + "."
            if prefix not in taken:
                break
        else:
            return None, "no free test address block"
        pair = cls(secrets.token_hex(3), block)
        try:
            pair._build()
        except (NamespaceError, OSError) as err:
            pair.teardown()
            return None, str(err)
        return pair, None

    def _veth(self, name: str) -> str:
        return f"ven{self.suffix}{name}"  # at most 15 characters

    def _build(self) -> None:
        for side in ("a", "b"):
            ip("netns", "add", self.namespace(side))
            self.made.append(self.namespace(side))
            ip("-n", self.namespace(side), "link", "set", "lo", "up")
        # The data path: a <-> b.
        da, db = self._veth("da"), self._veth("db")
        ip("link", "add", da, "type", "veth", "peer", "name", db)
        self.links.append(da)
        for side, dev in (("a", da), ("b", db)):
            ip("link", "set", dev, "netns", self.namespace(side))
            ip("-n", self.namespace(side), "addr", "add", f"{self.data_ip(side)}/30", "dev", dev)
            ip("-n", self.namespace(side), "link", "set", dev, "up")
        # The control links: this namespace <-> a, this namespace <-> b.
        for side, offset in (("a", 4), ("b", 8)):
            here, there = self._veth(f"c{side}"), self._veth(f"n{side}")
            ip("link", "add", here, "type", "veth", "peer", "name", there)
            self.links.append(here)
            ip("link", "set", there, "netns", self.namespace(side))
            ip("addr", "add", f"{self._address(offset + 1)}/30", "dev", here)
            ip("link", "set", here, "up")
            ip("-n", self.namespace(side), "addr", "add", f"{self.control_ip(side)}/30", "dev", there)
            ip("-n", self.namespace(side), "link", "set", there, "up")

    def limit(self, rate: str | None) -> None:
        """Limit the data path to ``rate`` (tc syntax: ``1gbit``, ``100mbit``, ``10mbit``) both ways
        with a token bucket; ``None`` removes the limit."""
        for side, dev in (("a", self._veth("da")), ("b", self._veth("db"))):
            if rate is None:
                ip("-n", self.namespace(side), "link", "show", dev)  # (exists)
                subprocess.run([*self.exec_prefix(side), "tc", "qdisc", "del", "dev", dev, "root"], capture_output=True)
                continue
            bits = parse_rate(rate)
            # A bucket of at least 4 ms of traffic (and 64 KB): a smaller one cannot reach the rate.
            burst = max(65536, bits // 8 // 250)
            proc = subprocess.run(
                [*self.exec_prefix(side), "tc", "qdisc", "replace", "dev", dev, "root", "tbf",
                 "rate", rate, "burst", str(burst), "latency", "200ms"],
                capture_output=True, text=True,
            )
            if proc.returncode != 0:
                raise NamespaceError(f"tc on {dev}: {proc.stderr.strip()}")
        self.rate = rate

    def teardown(self) -> None:
        """Delete the namespaces and links this pair made (by name; missing ones are fine)."""
        for link in self.links:
            ip("link", "del", link, check=False)
        for name in self.made:
            ip("netns", "del", name, check=False)
        self.links, self.made = [], []

    def __enter__(self) -> "NamespacePair":
        return self

    def __exit__(self, *exc) -> None:
        self.teardown()


def parse_rate(rate: str) -> int:
    """Bits per second of a tc rate (``100mbit`` -> 100_000_000)."""
    units = {"gbit": 10**9, "mbit": 10**6, "kbit": 10**3, "bit": 1}
    text = rate.strip().lower()
    for unit, factor in units.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)
