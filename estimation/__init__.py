"""Bidwright's estimation engine: three-point / PERT Monte Carlo over work items.

A pure library: it imports only the standard library, numpy and scipy.
"""
