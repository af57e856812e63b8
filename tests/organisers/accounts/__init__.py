"""Tests of organiser accounts."""
