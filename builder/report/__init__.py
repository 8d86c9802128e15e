"""What a user takes away: the training script, the snippet that calls the saved model, and the files beside them."""
