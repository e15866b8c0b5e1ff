"""The Qt layer: chat panel, settings dialog, bridge, standalone app (through Qt.py)."""
