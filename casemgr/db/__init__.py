"""Postgres adapter: the pool, the unit of work and the repositories."""
