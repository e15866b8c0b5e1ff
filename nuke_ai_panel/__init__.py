"""Nuke AI Panel core: provider clients, streaming, the event-loop worker, config and secrets.

Importing this package pulls in neither Qt nor ``nuke``; the host and UI layers import it.
"""

__version__ = "0.1.0"
