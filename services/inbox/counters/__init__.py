"""Per-hotel view counters: counts read in O(1), kept from the conversations' transitions."""
