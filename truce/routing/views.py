"""Screens of the routing app."""
