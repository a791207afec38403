"""Shelter: models (see issue 4)."""
