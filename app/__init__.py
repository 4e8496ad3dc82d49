"""Bidwright web application: catalogs, estimates, runs and documents."""

__version__ = "0.1.0"
