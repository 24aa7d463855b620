"""Safety and moderation: reports, staff roles, the queue of cases and the audit log; actions later."""
