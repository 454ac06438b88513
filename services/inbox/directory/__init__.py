"""The directory: hotels, groups of hotels, agents, reply templates and chain settings."""
