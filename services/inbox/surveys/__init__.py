"""The satisfaction survey a hotel sends after closing a request, and the guest's rating."""
