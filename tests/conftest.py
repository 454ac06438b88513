"""Fixtures shared by every test: the real servers live in tests/support/servers.py."""
