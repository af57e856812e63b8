"""Tests of organisations: members, roles, invitations and the audit log."""
