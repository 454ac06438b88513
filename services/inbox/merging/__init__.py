"""Merge and split of guest requests: two requests of one guest become one, one mixing two subjects two."""
