"""Attachments: agents upload files for replies and notes and download their hotels' files."""
