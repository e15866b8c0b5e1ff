"""``python -m tests.protocol_servers PROTOCOL [--port N]``: serve until Ctrl-C or SIGTERM.

The base URL goes to stdout (flushed) once the server listens, so a parent process can read
one line and point a client at it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import List, Optional

from .scenarios import PROTOCOLS, SCENARIO_NAMES
from .server import ProtocolServer


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.protocol_servers",
        description="Serve one provider protocol on 127.0.0.1 with scripted faults. "
                    "The model name picks the scenario: " + ", ".join(SCENARIO_NAMES),
    )
    parser.add_argument("protocol", choices=PROTOCOLS)
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    parser.add_argument("--api-key", help="require this key (else any key or none is accepted)")
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds between tokens")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = ProtocolServer(args.protocol, api_key=args.api_key, token_delay=args.token_delay,
                            port=args.port)
    server.start()
    try:
        print(server.base_url, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
