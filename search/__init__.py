"""search: inference over the space of expressions."""
