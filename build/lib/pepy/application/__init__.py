"""The application: commands (the write side) and queries (the read side). Depends on the domain only."""
