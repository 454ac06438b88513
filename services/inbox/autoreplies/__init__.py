"""Automatic replies to reviews: the hotels' rules, and the replies they schedule."""
