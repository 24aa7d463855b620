"""Your data: downloading it (data exports), deactivating the account, and deleting it for good."""
