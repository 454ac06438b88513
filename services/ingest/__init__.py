"""ingest: channel adapters that turn guest messages into normalized inbound messages on the bus."""
