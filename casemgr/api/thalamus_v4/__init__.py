"""Thalamus REST API v4."""
