"""Who can take a request now: agents' presence (an open console) and the round-robin's claimed turns."""
