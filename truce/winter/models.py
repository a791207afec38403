"""Winter readiness: models (see issue 4)."""
