"""Thalamus REST API v4: touchpoint + token on every call, an operator or
party login for calls on cases, and the case update, read and create."""
