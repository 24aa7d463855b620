"""The notification inbox, grouped, and its real-time delivery."""
