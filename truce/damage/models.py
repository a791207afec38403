"""Damage assessment: models (see issue 4)."""
