"""The package version, defined here alone (pyproject.toml and CMake read it)."""

__version__ = "0.1.0"
