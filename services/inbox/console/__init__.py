"""The agent console: its page and static files."""
