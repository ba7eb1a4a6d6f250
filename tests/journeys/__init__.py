"""Journeys that play both sides of the clinic in a real browser."""
