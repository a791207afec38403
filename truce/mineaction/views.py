"""Screens of the mineaction app."""
