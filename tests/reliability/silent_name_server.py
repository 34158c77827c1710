"""The command line in a process whose name server never answers: every
lookup of a name blocks as the system's resolver blocks when its name server
is silent (5 s a try, 2 tries), then fails with EAI_AGAIN. An IP address,
and ``localhost`` (which the hosts file answers), resolve at once as before.

Run as ``python -m tests.reliability.silent_name_server serve`` (see
``conftest.start_server``'s ``module``); the server's worker processes are
forked from this one, so they look names up the same way. Nothing else
changes: the app resolves through ``socket.getaddrinfo`` as in production.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import time

SILENT_SECONDS = 10.0
_system_getaddrinfo = socket.getaddrinfo


def silent_getaddrinfo(host, port, *args, **kwargs):
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    if name is None or name.lower() == "localhost":
        return _system_getaddrinfo(host, port, *args, **kwargs)
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
        return _system_getaddrinfo(host, port, *args, **kwargs)
    except ValueError:
        pass
    time.sleep(SILENT_SECONDS)
    raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


def main() -> int:
    socket.getaddrinfo = silent_getaddrinfo
    from casemgr.cli import main as command_line

    return command_line(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
