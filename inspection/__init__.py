"""Measured checks on a take: black, frozen and flickering frames, cuts, motion and its
direction, the palette against the bible, vertical-line artifacts, text burned into the
picture, moderation of what goes on air."""
