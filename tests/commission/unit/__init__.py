"""Commission tests without broker or database."""
