"""Access: sign-in with lock-out, sign-out, password change, API tokens and the audit trail."""
