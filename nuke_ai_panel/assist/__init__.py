"""Node-graph helpers behind the slash commands: parse a command, build its request, turn
the answer into a previewed action and apply it as one undo step.

Pure Python: no Qt, and ``nuke`` is only reached through a host (``nuke_ai_panel.graph``).
"""
