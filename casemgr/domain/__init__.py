"""The case-management domain: value types, the edit rules and permissions.

Pure Python and the standard library only: no Flask, no psycopg, no HTTP
status codes. Every API reaches these rules through ``casemgr.service``.
"""
