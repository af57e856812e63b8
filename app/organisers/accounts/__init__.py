"""Organiser accounts: sign-up, login and logout, password reset, two-step login."""
