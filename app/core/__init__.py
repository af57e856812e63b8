"""Mechanisms shared by every concept package: database, mail, tokens, text, i18n, headers."""
