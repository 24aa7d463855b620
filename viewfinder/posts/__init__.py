"""Posts: one to twenty media items with a caption, hashtags and mentions."""
