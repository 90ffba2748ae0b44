"""livestudio_analytics: exactly-once aggregation of session, item and ad-spend events into the analytics schema."""
