"""Tests of the organisers package."""
