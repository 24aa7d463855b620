"""Safety and moderation: reports now; the moderation queue, actions and staff roles later."""
