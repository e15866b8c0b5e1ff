"""Real aiohttp servers on 127.0.0.1 that speak each provider's protocol, with faults.

``ProtocolServer(protocol, api_key=None, token_delay=0.0)`` serves ``ollama``, ``openai``
(also Mistral and any OpenAI-compatible client), ``openrouter``, ``anthropic`` or ``gemini``.
The model name in a chat request picks the scenario (see :mod:`.scenarios`); any other name
gets a normal stream of ``"Echo: <last user message>"`` in small tokens. ``raw-NAME`` picks a
byte-exact response from :mod:`.raw` (odd shapes real servers sent, with the outcome expected).

By hand: ``python -m tests.protocol_servers openai [--port N] [--api-key K]`` prints the base
URL and serves until interrupted.
"""

from .raw import RAW_CASES
from .scenarios import PROTOCOLS, SCENARIO_NAMES, Scenario, build_scenario, tokenize
from .server import ProtocolServer, RecordedRequest

__all__ = [
    "PROTOCOLS", "RAW_CASES", "SCENARIO_NAMES", "ProtocolServer", "RecordedRequest", "Scenario",
    "build_scenario", "tokenize",
]
