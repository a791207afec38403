"""Displacement and returns: models (see issue 4)."""
