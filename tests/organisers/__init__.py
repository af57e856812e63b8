"""Tests of the organisers' pages."""
