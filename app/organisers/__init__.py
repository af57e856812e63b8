"""Organisers: accounts, organisations and their roles, campaign editing and the dashboard."""
