"""What one user's session holds: the current design, its history and edits, the canvas (being moved here by the restructure)."""
