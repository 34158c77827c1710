"""Use cases: each opens one unit of work, loads facts, asks the domain, writes.

The service knows storage only through the ports of ``casemgr.service.ports``;
``casemgr.db`` implements them and the app factory wires the two together.
"""
