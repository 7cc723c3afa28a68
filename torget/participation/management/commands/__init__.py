"""Management commands of participation."""
