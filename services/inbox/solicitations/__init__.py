"""Solicitations as the inbox shows them: each thread's messages in the request's timeline."""
