"""The read side: one module of queries per API family, and what they share (common)."""
