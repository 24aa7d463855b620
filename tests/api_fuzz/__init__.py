"""Schemathesis against a real `viewfinder serve`, every check on: `make test-api-fuzz`."""
