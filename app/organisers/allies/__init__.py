"""Allies: organisations that share a campaign through their own links and widget."""
