"""Requests to hosts a person typed in go to public addresses only.

A channel's server (a Mastodon instance, a Bluesky PDS, an X proxy, an IMAP or
SMTP host) is typed by a person, and Unplugged then connects there from inside
the network it runs in, carrying the account's token or password. Without a
check, that is a way to reach what only the server can reach: the cloud's
metadata service at 169.254.169.254, an admin port on 127.0.0.1, a database on
10.0.0.5 (issue 14, item 2). So every such connection goes through this module:

* :func:`host_problem` refuses names that are not names: single labels
  (``localhost``, ``intranet``) and numbers written in odd forms
  (``2130706433``, ``0x7f.1``, ``0177.0.0.1``), which resolvers quietly turn
  into loopback addresses.
* :func:`resolve` asks the resolver for every A and AAAA record and refuses the
  host if any of them is not public (:func:`address_problem`: loopback,
  private, link-local, shared/CGNAT, multicast, reserved, unspecified, and the
  same behind IPv4-mapped, 6to4 and NAT64 IPv6 forms).
* :func:`connect` opens the socket to the addresses just vetted, never to a
  name: a resolver that answers a public address for the check and 127.0.0.1
  for the connection (DNS rebinding) gains nothing, because nothing resolves
  the name a second time. TLS still checks the certificate against the name.
* Plain text (http, IMAP/SMTP without TLS) is refused, since the token or
  password would cross the network readable; only loopback may be reached in
  the clear, and only with the setting below.
* :func:`guarded_session` (requests) and :class:`GuardedTransport` (httpx) put
  that under an HTTP client: every connection, including each redirect hop,
  is vetted and pinned; redirects stop after :data:`MAX_REDIRECTS`; both
  libraries drop the ``Authorization`` header when a redirect changes host;
  proxies and ``.netrc`` from the environment are not used (a proxy would
  hide the address actually reached).

The one setting, ``UNPLUGGED_ALLOW_LOOPBACK`` (on in the demo and the test
suite), lets loopback addresses through, plain http and plain IMAP/SMTP to
them included, so that a local test server can stand in for a network. Private
and link-local addresses are refused even then. It is process-wide:
:func:`configure` is called when the runtime is built
(:func:`inbox.runtime.build_runtime`); a process that never configures refuses
loopback.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpcore
import httpx
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

MAX_REDIRECTS = 5

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (level, option, value) or (level, option, None, length), as urllib3 and httpcore pass them
SocketOption = tuple[Any, ...]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOOPBACK_NAMES = frozenset({"localhost"})
# A label that a resolver may read as a number: decimal, octal (leading 0) or hex.
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


class BlockedAddress(ValueError):
    """A host Unplugged will not connect to; the message is for the person and names no
    address the resolver gave (that would map the internal network for whoever asks)."""


@dataclass(frozen=True)
class Policy:
    """What may be reached besides public addresses."""

    allow_loopback: bool = False


_policy = Policy()
_policy_lock = threading.Lock()


def configure(*, allow_loopback: bool) -> None:
    """Set the process's policy (from :class:`inbox.config.Settings` at start-up)."""
    global _policy
    with _policy_lock:
        _policy = Policy(allow_loopback=allow_loopback)


def current_policy() -> Policy:
    return _policy


# --------------------------------------------------------------------------- classifying


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, NAT64), which is what is reached."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress, policy: Policy | None = None) -> str | None:
    """Why ``ip`` may not be connected to ("loopback", "private", ...), or None if public."""
    policy = policy or current_policy()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "link-local"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_problem(inner, policy)
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return None if policy.allow_loopback else "loopback"
    if ip.is_link_local:
        return "link-local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared (carrier-grade NAT)"
    if any(ip in net for net in _RFC1918) or ip in _UNIQUE_LOCAL:
        return "private"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "private"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved or ip.is_private or not ip.is_global:
        return "reserved"
    return None


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def normalise_host(host: str) -> str:
    """Lower case, no trailing dot, IDNA-encoded; :class:`BlockedAddress` if it is no host."""
    name = host.strip().lower()
    if name.endswith(".") and not name.endswith(".."):
        name = name[:-1]
    if not name:
        raise BlockedAddress("The server address has no host name.")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise BlockedAddress(f"{host!r} is not a valid host name.") from None
    return name


def is_loopback_name(host: str) -> bool:
    """Is ``host`` written as this machine (``localhost``, ``127.0.0.1``, ``::1``)?

    The only hosts plain http may go to, and only under the setting: a name
    that merely resolves to loopback might resolve elsewhere the next time.
    """
    name = host.strip().lower().rstrip(".")
    literal = _ip_literal(name)
    if literal is not None:
        if isinstance(literal, ipaddress.IPv6Address) and literal.ipv4_mapped is not None:
            literal = literal.ipv4_mapped
        return literal.is_loopback
    return name in _LOOPBACK_NAMES or name.endswith(".localhost")


def host_problem(host: str, policy: Policy | None = None) -> str | None:
    """Why ``host`` may not be used as written, before anything is resolved; else None."""
    policy = policy or current_policy()
    try:
        name = normalise_host(host)
    except BlockedAddress as exc:
        return str(exc)
    literal = _ip_literal(name)
    if literal is not None:
        problem = address_problem(literal, policy)
        return f"{host} is not a public address ({problem})." if problem else None
    labels = name.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # Not a dotted quad (that parsed above): 2130706433, 0x7f000001, 127.1,
        # 0177.0.0.1 all reach 127.0.0.1 through inet_aton.
        return f"{host} is a number, not a server name: write the name or a plain address."
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return None if policy.allow_loopback else f"{host} is this machine (loopback)."
    if len(labels) < 2:
        return f"{host} is not a full domain name (like example.org)."
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"{host} is not a valid host name."
    return None


# --------------------------------------------------------------------------- resolving


@dataclass(frozen=True)
class Target:
    """One vetted address to connect to."""

    family: int
    sockaddr: tuple[Any, ...]
    ip: IPAddress


def resolve(host: str, port: int, *, plain: bool = False) -> tuple[Target, ...]:
    """Every address ``host`` resolves to, each vetted; :class:`BlockedAddress` if any is not.

    One forbidden record refuses the host: a name that answers both a public and
    a private address can be made to reach the private one. With ``plain`` (no
    TLS will follow) every address must be loopback and the setting on.
    ``socket.gaierror`` passes through: a name that does not resolve is a
    network problem, not a refusal.
    """
    policy = current_policy()
    problem = host_problem(host, policy)
    if problem:
        raise BlockedAddress(problem)
    name = normalise_host(host).strip("[]")
    infos = socket.getaddrinfo(name, port, 0, socket.SOCK_STREAM)
    targets: list[Target] = []
    seen: set[tuple[Any, ...]] = set()
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6) or sockaddr in seen:
            continue
        seen.add(sockaddr)
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        problem = address_problem(ip, policy)
        if problem:
            raise BlockedAddress(f"{host} points to a non-public address ({problem}).")
        targets.append(Target(family, tuple(sockaddr), ip))
    if not targets:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} has no IPv4 or IPv6 address")
    if plain and not (policy.allow_loopback and all(t.ip.is_loopback for t in targets)):
        raise BlockedAddress(_plain_refused(host))
    return tuple(targets)


def check_url(url: str, *, schemes: Sequence[str] = ("https",)) -> str:
    """Refuse a server URL that must not be used (:class:`BlockedAddress`); else its host.

    ``schemes`` are the encrypted schemes the caller speaks; any other scheme is
    plain text, accepted only for loopback under the setting. The name is
    resolved, so a name that points inside is refused here, at the form, in the
    words the connection would use. A name that does not resolve now is let
    through (a typo, or DNS down: the sync will say so, and every connection is
    vetted again anyway).
    """
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        raise BlockedAddress("The server URL has an invalid port.") from None
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None:
        raise BlockedAddress("The server URL needs a host name (and no user name in it).")
    plain = parts.scheme not in schemes
    try:
        resolve(host, port or 443, plain=plain)
    except socket.gaierror:
        if plain:
            raise BlockedAddress(_plain_refused(host)) from None
    return host


def _plain_refused(host: str) -> str:
    return (
        f"Refusing to send credentials to {host} without encryption: "
        "use https:// (or TLS for mail)."
    )


# --------------------------------------------------------------------------- connecting


def _open_socket(
    target: Target,
    timeout: Any,
    source_address: Any,
    socket_options: Iterable[SocketOption] | None,
) -> socket.socket:
    """One TCP connection to one vetted address (a seam for the tests: no DNS in here)."""
    sock = socket.socket(target.family, socket.SOCK_STREAM)
    try:
        for option in socket_options or ():
            sock.setsockopt(*option)
        if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
            sock.settimeout(timeout)
        if source_address:
            sock.bind(source_address)
        sock.connect(target.sockaddr)
        return sock
    except BaseException:
        sock.close()
        raise


def connect(
    host: str,
    port: int,
    timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
    source_address: Any = None,
    socket_options: Iterable[SocketOption] | None = None,
    *,
    plain: bool = False,
) -> socket.socket:
    """A socket to ``host``: resolved once, vetted, connected to those addresses only."""
    last: OSError | None = None
    for target in resolve(host, port, plain=plain):
        try:
            return _open_socket(target, timeout, source_address, socket_options)
        except OSError as exc:
            last = exc
    assert last is not None  # resolve() returns at least one target
    raise last


def blocked_cause(exc: BaseException | None) -> BlockedAddress | None:
    """The :class:`BlockedAddress` behind ``exc`` (libraries wrap what they catch), if any."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, BlockedAddress):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


# --------------------------------------------------------------------------- requests


class _PinnedConnectionMixin:
    """urllib3's connection, opened through :func:`connect` instead of by name."""

    _plain = False
    host: str
    port: int
    timeout: Any
    source_address: tuple[str, int] | None
    socket_options: Any
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        try:
            return connect(
                self._dns_host,
                self.port,
                self.timeout,
                self.source_address,
                self.socket_options,
                plain=self._plain,
            )
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from exc
        except OSError as exc:
            raise NewConnectionError(
                self,  # type: ignore[arg-type]
                f"Failed to establish a new connection: {exc}",
            ) from exc


class _GuardedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    _plain = True


class _GuardedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests transport whose every connection is vetted and pinned (see module notes)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        # A proxy would make the connection to its own address, hiding the real one.
        kwargs["proxies"] = {}
        return super().send(request, *args, **kwargs)


_S = TypeVar("_S", bound=requests.Session)


def guard_session(session: _S) -> _S:
    """Make ``session`` reach public addresses only (redirects included); returns it."""
    adapter = GuardedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.max_redirects = MAX_REDIRECTS
    session.trust_env = False  # no proxies, no .netrc credentials from the environment
    return session


def guarded_session() -> requests.Session:
    """A new :func:`guard_session`-ed ``requests.Session``."""
    return guard_session(requests.Session())


# --------------------------------------------------------------------------- httpx


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting to vetted addresses only."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            sock = connect(
                host,
                port,
                timeout,
                (local_address, 0) if local_address else None,
                socket_options,
            )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        from httpcore._backends.sync import SyncStream

        return SyncStream(sock)


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections are vetted and pinned; http only to loopback."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        pool = self._pool
        assert isinstance(pool, httpcore.ConnectionPool)
        pool._network_backend = _GuardedBackend()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https":
            host = request.url.host
            if not (current_policy().allow_loopback and is_loopback_name(host)):
                raise BlockedAddress(_plain_refused(host))
        return super().handle_request(request)
