"""notify: every outbound message (email, chat, forwards, delegations, shares, agent alerts)."""
