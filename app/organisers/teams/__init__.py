"""Organisations: creating one, members and their roles, invitations, the audit log."""
