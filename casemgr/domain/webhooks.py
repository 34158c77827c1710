"""Webhooks: who may manage them, which targets they may name, and when a
failed delivery is tried again.

A subscription belongs to the OAuth client that created it (a client token;
a user token is refused), and a client has at most so many (25 unless
configured): each subscription turns every change into one more signed POST,
retried for a day, so their number is what bounds the work one edit makes.
Its URL is http or https, and its host must not lead to the service's own
network: every address the name resolves to, when the subscription is
created and again before each delivery (a name can be made to resolve
elsewhere later), must be globally reachable (``address_refusal``), unless
private targets are allowed (a test or an all-internal deployment).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable
from urllib.parse import urlsplit

from casemgr.domain import errors
from casemgr.domain.model import Actor, ActorKind

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 1024
SCHEMES = ("https", "http")
DEFAULT_PORTS = {"https": 443, "http": 80}

# Cloud instance metadata services, which hand out credentials to whoever
# asks from inside: AWS, GCP, Azure and others at 169.254.169.254 (and AWS
# over IPv6 at fd00:ec2::254), Azure's platform endpoint at 168.63.129.16 (a
# public address), Alibaba's at 100.100.100.200.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "168.63.129.16", "100.100.100.200"))

# Blocks no webhook is delivered to, named, whatever the running Python's
# ``ipaddress`` thinks of them (its idea of "global" changed between
# versions): the blocks of IANA's special-purpose registries that are not
# globally reachable, and the deprecated ones. The first that holds an
# address names why it is refused; anything ``ipaddress`` does not call
# global is refused too, and so is any IPv6 address outside 2000::/3, the
# only block global unicast addresses are allocated from.
REFUSED_NETWORKS = tuple((ipaddress.ip_network(block), why) for block, why in (
    ("0.0.0.0/8", "a 'this network' address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "an IETF protocol assignment address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a 6to4 relay anycast address (deprecated)"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "the unspecified address"),
    ("::/96", "an IPv4-compatible address (deprecated)"),
    ("64:ff9b:1::/48", "a local-use NAT64 address"),
    ("100::/64", "a discard-only address"),
    ("2001::/32", "a Teredo address (a deprecated tunnel)"),
    ("2001::/23", "an IETF protocol assignment address"),
    ("2001:db8::/32", "a documentation address"),
    ("2002::/16", "a 6to4 address (a deprecated tunnel)"),
    ("3fff::/20", "a documentation address"),
    ("5f00::/16", "a segment routing (SRv6) address"),
    ("fc00::/7", "a private (unique local) address"),
    ("fec0::/10", "a site-local address (deprecated)"),
))
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# NAT64's well-known prefix (RFC 6052): 64:ff9b::a.b.c.d reaches a.b.c.d
# through the network's translator, and is judged as a.b.c.d is.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


@dataclass(frozen=True)
class Subscription:
    id: int
    client_id: str
    url: str
    description: str
    created_at: datetime


@dataclass(frozen=True)
class DeliveryAttempt:
    """One attempt to deliver one change, as the deliveries list shows it."""

    delivery_id: int
    message_id: str  # the webhook-id the receiver saw
    cursor: str  # the change's place in the feed
    case_id: int
    attempt: int  # 1 for the first attempt of the delivery
    attempted_at: datetime
    duration_ms: int
    status_code: int | None  # None: no answer (refused, timed out, not allowed)
    error: str | None
    outcome: str  # delivered | retrying | failed
    next_attempt_at: datetime | None  # retrying: when


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery a worker took under its lease, to attempt now."""

    id: int
    subscription_id: int
    history_id: int
    case_id: int
    body: str
    attempt: int  # this attempt's number
    first_attempt_at: datetime
    claimed_at: datetime  # the database's clock


@dataclass(frozen=True)
class AttemptOutcome:
    delivery_id: int
    state: str  # pending (to be retried) | delivered | failed
    retry_in_seconds: float | None
    attempted_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None

    @property
    def outcome(self) -> str:
        return "retrying" if self.state == PENDING else self.state


PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class Target:
    """A webhook URL, taken apart: what is resolved and what is called."""

    url: str
    scheme: str
    host: str  # lower case; an IPv6 literal without brackets
    port: int


def message_id(subscription_id: int, history_id: int) -> str:
    """webhook-id: one per subscription and change, the same on every
    attempt, so a receiver can drop what it has already processed."""
    return f"msg_{subscription_id}_{history_id}"


def manager_of(actor: Actor) -> str:
    """The OAuth client that manages webhooks with this token: a client
    token's own. A user token is refused: subscriptions belong to an
    integration, not to a person."""
    if actor.kind is not ActorKind.CLIENT or not actor.client_id:
        raise errors.ScopeNotGranted("Webhooks are managed with a client token (client_credentials grant).",
                                     expected="app.core.casemgr.manage")
    return actor.client_id


def parse_target(url: str) -> Target:
    """An absolute http or https URL with a host, no user name or password
    (they would be shown to anyone who lists the subscriptions), at most
    2048 characters."""
    if len(url) > MAX_URL_LENGTH:
        raise _invalid_url(f"Value of 'url' is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise _invalid_url("Value of 'url' is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _invalid_url("Value of 'url' must be an http or https URL.")
    if not parts.hostname:
        raise _invalid_url("Value of 'url' names no host.")
    if parts.username is not None or parts.password is not None:
        raise _invalid_url("Value of 'url' must not carry a user name or password; authenticate the deliveries "
                           "by their signature.")
    return Target(url=url.strip(), scheme=scheme, host=parts.hostname.lower(), port=port or DEFAULT_PORTS[scheme])


def check_subscription_count(existing: int, limit: int) -> None:
    """A client may have ``limit`` subscriptions; one more is refused until
    it deletes one. ``existing``: how many it has, counted under the lock
    that makes creations of one client take turns."""
    if existing >= limit:
        raise errors.WebhookLimitReached(
            f"This client has {existing} webhook subscriptions, as many as a client may have ({limit}); delete one "
            f"before creating another.", limit=limit)


def lookup_timed_out(target: Target, seconds: float) -> errors.WebhookTargetRefused:
    """The host's name servers did not answer in time: refused like a host
    that does not resolve (it cannot be checked, so it is not called); the
    client may try again, or name a host whose name servers answer."""
    return errors.WebhookTargetRefused(
        f"The host '{target.host}' of the webhook URL did not resolve within {seconds:g} s (its name servers did "
        f"not answer in time); retry later, or use a host whose name servers answer.", attribute="url")


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise errors.ValueTooLong(f"Value of 'description' is longer than {MAX_DESCRIPTION_LENGTH} characters.",
                                  attribute="description", limit=MAX_DESCRIPTION_LENGTH)
    return description


def _invalid_url(message: str) -> errors.InvalidValue:
    return errors.InvalidValue(message, attribute="url")


def address_refusal(address: str) -> str | None:
    """Why the service must not call this IP address, or None for a globally
    reachable one.

    An IPv6 address that carries an IPv4 address is judged by the IPv4
    address too, whichever way it carries it: mapped (::ffff:127.0.0.1),
    NAT64 (64:ff9b::7f00:1), 6to4 (2002:7f00:1::), Teredo (its server and
    its client) and IPv4-compatible (::7f00:1). A mapped or NAT64 form of a
    public IPv4 address is callable, as that address is; the others are
    refused whatever they carry, since their blocks are deprecated."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) names no other host
    return _refusal(ip)


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        carried = _carried_ipv4(ip)
        for form, ipv4 in carried:
            reason = _refusal(ipv4)
            if reason is not None:
                return f"{form.format(ipv4)}, {reason}"
        if carried and (ip.ipv4_mapped is not None or ip in _NAT64):
            return None  # the IPv4 address it reaches is public
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    for network, why in REFUSED_NETWORKS:
        if ip in network:
            return why
    if ip.is_private:
        return "a private address"
    if ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "a reserved address"
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST:
        return "not a global unicast address"
    return None


def _carried_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, with the form it carries
    each in."""
    if ip.ipv4_mapped is not None:
        return [("the IPv4-mapped form of {}", ip.ipv4_mapped)]
    if ip in _NAT64:
        return [("the NAT64 form of {}", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))]
    if ip.sixtofour is not None:
        return [("the 6to4 form of {}", ip.sixtofour)]
    if ip.teredo is not None:
        server, client = ip.teredo
        return [("a Teredo address whose client is {}", client), ("a Teredo address whose server is {}", server)]
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: nor ::1
        return [("the IPv4-compatible form of {}", ipaddress.IPv4Address(int(ip)))]
    return []


def check_addresses(target: Target, addresses: Iterable[str], *, allow_private: bool) -> None:
    """Every address the target's host resolved to must be callable: one bad
    address among good ones is enough to refuse, since the connection may
    go to any of them."""
    resolved = list(dict.fromkeys(addresses))
    if not resolved:
        raise errors.WebhookTargetRefused(f"The host '{target.host}' of the webhook URL does not resolve.",
                                          attribute="url")
    if allow_private:
        return
    for address in resolved:
        reason = address_refusal(address)
        if reason is not None:
            shown = "" if address == target.host else f" resolves to {address}, which"
            raise errors.WebhookTargetRefused(
                f"The host '{target.host}' of the webhook URL{shown} is {reason}; webhooks are only delivered to "
                f"public addresses.", attribute="url")


# -- retries ---------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, for ``window_seconds`` after the
    first attempt. The n-th retry waits base × 2^(n-1) seconds (at most
    ``max_interval_seconds``), stretched or shrunk by up to ``JITTER`` so
    that the retries of many deliveries spread out; with a factor of 2 and
    a jitter below 1/3, each wait is still longer than the one before."""

    base_seconds: float
    window_seconds: float
    max_interval_seconds: float = 3600.0
    JITTER = 0.2

    def delay(self, attempt: int, jitter: float) -> float:
        """The wait after the ``attempt``-th attempt failed; ``jitter`` from -1 to 1."""
        nominal = min(self.max_interval_seconds, self.base_seconds * 2 ** min(attempt - 1, 62))
        return nominal * (1 + self.JITTER * jitter)

    def next_delay(self, attempt: int, elapsed_seconds: float, jitter: float) -> float | None:
        """The wait before the next attempt, or None when it would fall past
        the window that began with the first attempt: the delivery has
        failed for good."""
        delay = self.delay(attempt, jitter)
        if elapsed_seconds + delay > self.window_seconds:
            return None
        return delay


def succeeded(status_code: int | None) -> bool:
    """A 2xx answer; anything else (another status, a timeout, no connection) is retried."""
    return status_code is not None and 200 <= status_code < 300
