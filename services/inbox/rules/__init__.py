"""Automation rules: conditions on a request, actions run by the engine, a dry run; round-robin assignment."""
