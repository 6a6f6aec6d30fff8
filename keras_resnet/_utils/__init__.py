"""What every layer of the package shares: atomic writing, provenance and validation messages."""
