"""Conversations: guests' requests, their timeline, the agents' actions on them, lists and counts."""
