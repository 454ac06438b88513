"""inbox: conversations and their timeline, the agents' HTTP API, fed by the INBOUND stream."""
