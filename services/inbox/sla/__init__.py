"""Response-time targets of guest requests: policies, targets on each request, escalation."""
