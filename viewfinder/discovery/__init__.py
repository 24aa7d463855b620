"""Hashtag pages, search, Explore and suggested accounts."""
