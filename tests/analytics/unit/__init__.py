"""Analytics service tests."""
