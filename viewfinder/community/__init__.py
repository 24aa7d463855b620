"""The community manager's tools: announcements to every member and accounts featured by staff."""
