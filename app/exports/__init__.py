"""Exports of signatures for organisers (CSV for their tools, PDF for delivery)."""
