"""HTTP out: webhook deliveries with httpx, each to an address checked right
before the connection is made.

The host of a subscription's URL is resolved for every attempt, every
address is judged (``casemgr.domain.webhooks.check_addresses``), and the
request goes to one of those very addresses, with the URL's host name in
``Host`` (and as the TLS server name, so the certificate is still checked
against it). A name that resolved to a public address when the subscription
was created and to 127.0.0.1 now (DNS rebinding) is refused, not called.

No redirect is followed (a 3xx is an answer that is not a 2xx: retried),
no proxy from the environment is used (it would connect where the check
did not look), and the answer's body is never read. One client per lane
(``casemgr.service.delivery``): a lane serves one subscription, so its
pooled connections are only ever reused for the host they were opened to.
"""

from __future__ import annotations

import asyncio
import errno
import importlib.metadata
import ipaddress
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx

from casemgr.domain import errors
from casemgr.domain.webhooks import DEFAULT_PORTS, Target, check_addresses, parse_target
from casemgr.service.delivery import SendResult

USER_AGENT = f"casemgr-webhooks/{importlib.metadata.version('casemgr')}"


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to, in the order to try them; an
    IP address stands for itself. None found: an empty list."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return _addresses(infos)


# Name lookups block a thread (getaddrinfo), for as long as a slow name
# server takes: they get threads of their own, so that they never hold up
# the worker's database steps.
_LOOKUPS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="webhook-dns")


async def resolve_host_async(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]  # an address needs no lookup
    except ValueError:
        pass
    return await asyncio.get_running_loop().run_in_executor(_LOOKUPS, resolve_host, host, port)


def _addresses(infos) -> list[str]:
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class HttpSender:
    def __init__(self, timeout_seconds: float, *, allow_private_targets: bool, concurrency: int):
        self.timeout = timeout_seconds
        self.allow_private = allow_private_targets
        self.concurrency = concurrency
        # One TLS context (the certificate store loaded once) for every lane.
        self._tls = httpx.create_ssl_context()

    @asynccontextmanager
    async def lane(self, url: str) -> AsyncIterator["LaneClient"]:
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout), follow_redirects=False, trust_env=False, verify=self._tls,
            limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency),
            headers={"user-agent": USER_AGENT})
        async with client:
            yield LaneClient(client, parse_target(url), self)


class LaneClient:
    def __init__(self, client: httpx.AsyncClient, target: Target, sender: HttpSender):
        self._client = client
        self._target = target
        self._sender = sender

    async def post(self, body: bytes, headers: dict[str, str]) -> SendResult:
        """One attempt, within the timeout from the name's resolution to the
        answer's status line: its status, or why there is none."""
        started = time.monotonic()
        status, error = None, None
        try:
            async with asyncio.timeout(self._sender.timeout):
                status = await self._post(body, headers)
        except errors.WebhookTargetRefused as exc:
            error = f"not called: {exc.message}"
        except TimeoutError:
            error = f"no answer within {self._sender.timeout:g} s"
        except httpx.ConnectError as exc:
            error = _connect_error(exc)
        except (httpx.HTTPError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return SendResult(status, error, round((time.monotonic() - started) * 1000))

    async def _post(self, body: bytes, headers: dict[str, str]) -> int:
        target = self._target
        addresses = await resolve_host_async(target.host, target.port)
        check_addresses(target, addresses, allow_private=self._sender.allow_private)
        failure: httpx.ConnectError | None = None
        for address in addresses:
            try:
                async with self._client.stream(
                        "POST", httpx.URL(target.url).copy_with(host=address), content=body,
                        headers={**headers, "host": _host_header(target)}, extensions=_tls_name(target)) as answer:
                    return answer.status_code
            except httpx.ConnectError as exc:
                failure = exc  # the next address, if the name has another
        assert failure is not None
        raise failure


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == DEFAULT_PORTS[target.scheme] else f"{host}:{target.port}"


def _tls_name(target: Target) -> dict:
    """The server name TLS sends and checks the certificate against: the
    URL's host, although the connection is made to an address."""
    if target.scheme != "https":
        return {}
    try:
        ipaddress.ip_address(target.host)
        return {}
    except ValueError:
        return {"sni_hostname": target.host}


def _connect_error(exc: httpx.ConnectError) -> str:
    if errno.ECONNREFUSED in _errnos(exc):
        return "connection refused"
    return f"could not connect: {exc}" if str(exc) else "could not connect"


def _errnos(exc: BaseException) -> set[int]:
    """The OS error numbers behind an exception: its causes, and the members
    of an exception group (one per address the connection tried)."""
    found, seen, stack = set(), set(), [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            found.add(current.errno)
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        stack.extend((current.__cause__, current.__context__))
    return found
