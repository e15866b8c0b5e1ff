"""Node-graph layer: .nk text model, host adapters (real Nuke or in-memory), helper context.

Pure Python: nothing here imports Qt, and ``nuke`` is only imported lazily by ``nuke_host``.
"""
