"""Export: SavedModel and LiteRT files in one call that checks each file against Keras."""
