"""Nuke AI Panel's Qt layer lives in :mod:`src.ui`."""
