"""The hub's five services; each is its own process and imports only `shared`, never another service."""
