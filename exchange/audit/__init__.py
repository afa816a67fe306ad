"""Audit log of security-relevant events."""
