"""The version, in one place: pyproject.toml, `kr.__version__` and `keras-resnet --version` read it."""

__version__ = "0.1.0"
