"""CLI subcommands for data: `suggest` and `data` (filled in by the data issue)."""


def register(sub) -> None:
    """Add this module's subcommands to the `python -m builder` parser."""
