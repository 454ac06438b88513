"""faqbot: the reference FAQ bot, a small process of its own that uses only the hub's public bot API."""
