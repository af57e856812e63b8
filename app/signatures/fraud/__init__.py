"""Fraud: the rules that hold or refuse signatures unseen, and what they read."""
