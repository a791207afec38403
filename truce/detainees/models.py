"""Exchanges of detainees and remains: models (see issue 4)."""
