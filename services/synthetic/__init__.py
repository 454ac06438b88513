"""The synthetic check: a probe that writes to the hub as a guest would and looks for the request in the inbox."""
