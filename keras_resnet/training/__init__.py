"""Training: configuration, recipes, the paper's warm-up, the run folder, checkpoints,
distribution, the fit loop and evaluation. Never imports export or plotting code."""
