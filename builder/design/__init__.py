"""The design itself: spec, registry, checks, diagram and canvas layout (being moved here by the restructure)."""
