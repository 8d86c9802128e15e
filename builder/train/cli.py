"""CLI subcommand `train` (filled in by the training issue)."""


def register(sub) -> None:
    """Add this module's subcommands to the `python -m builder` parser."""
