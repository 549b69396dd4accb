"""Exploring a scenario's parameters: sweeps (grids, Latin hypercubes) and global sensitivity.

Data flow: :mod:`.parameters` (which values vary, over which ranges) -> :mod:`.evaluate` (each
design point run with the same seed, so every point shares its random numbers) -> :mod:`.sweep`
and :mod:`.sensitivity` (tables and indices) -> :mod:`drillsim.reports.explore` (files, figures).
"""
