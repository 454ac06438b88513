"""The live stream: each agent's server-sent events of their hotels, and who is viewing which request."""
