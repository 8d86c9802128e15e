"""A user's session: the design, the dataset, the runs, and the workspace that keeps them."""
