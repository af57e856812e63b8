"""Campaigns: content loaded from campaign folders, public pages, maintained counts."""
