"""Eval harness (issue 6): compares prompt strategies over fixed themes."""
