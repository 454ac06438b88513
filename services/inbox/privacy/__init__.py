"""Privacy: what the inbox does for contacts: follow a merge, carry out an erasure, export a guest's requests."""
