"""Live Studio alerts: per-studio rules, the daily summary and their delivery."""
