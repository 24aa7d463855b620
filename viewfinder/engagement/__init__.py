"""Likes, comments (with one level of replies), saves and collections."""
