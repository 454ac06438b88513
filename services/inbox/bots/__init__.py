"""A hotel's chatbot: its configuration, the webhook calls it receives and the API it calls."""
