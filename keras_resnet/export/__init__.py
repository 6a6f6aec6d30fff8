"""Export: SavedModel and LiteRT files in one call that checks each file against Keras.

`api.export_model` puts the steps in order; each job has its own module: `options` (formats,
quantisations, backend), `destination` (where, and the partial-folder commit), `loading` (which
model), `preparation` (float32, with or without preprocessing), `images` and `calibration` (what it
is calibrated and checked on), `saved_model` and `litert` (the writers), `runners` (one way to run
and time any format), `parity` and `report`. `runs.export_run` exports a finished training run;
`callback.ExportCallback` exports from a user's own `model.fit`.
"""
