"""Media bytes: the storage interface, image processing and delivery."""
