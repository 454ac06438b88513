"""Scores per hotel and group: response rate, first-response times, targets met, CSAT (issue 24)."""
