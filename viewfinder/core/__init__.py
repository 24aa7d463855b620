"""Pieces every domain shares: IDs, errors, database access, pagination, rate limits."""
