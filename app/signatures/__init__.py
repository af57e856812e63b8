"""Signatures: signing, email confirmation, one signature per person per campaign."""
