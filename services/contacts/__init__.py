"""contacts: guests as contacts linked across channels, resolved for the inbox over request/reply."""
