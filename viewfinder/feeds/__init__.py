"""Home feed: timelines with hybrid fan-out, chronological and ranked modes."""
