"""Workshops: rooms, participants' weights and the group result."""
