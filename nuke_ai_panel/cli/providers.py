"""``models`` and ``test``: what a provider offers, and whether each provider answers.

``test`` sorts providers three ways, as the settings dialog does (both ask
:meth:`Config.resolve`): **not set up** (:class:`~nuke_ai_panel.config.NotSetUp`: no key for
the provider's own public API, or no base URL for ``openai-compatible``), **ok**, or
**failed** (the call could not be made or did not succeed, including a wrong setting). A
provider is *configured* when it is set up: it has a key where its endpoint needs one, or a
base URL that is not the provider's public API (a key is then optional), or it needs no key
(Ollama). Without ``-p``, the enabled providers are tested. Exit 0 when every configured
provider tested is ok, 1 when one failed, 2 when none of those tested is set up.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List, TextIO

from .. import errors
from ..errors import ProviderError
from .chat import add_provider_options
from .common import (EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError, add_json, config_error,
                     print_error, resolve_settings, wait_interruptibly)

OK, FAILED, NOT_SET_UP = "ok", "failed", "not_set_up"


def add_parsers(sub: Any) -> None:
    from ..provider_info import PROVIDER_IDS
    models = sub.add_parser("models", help="list the provider's models")
    add_provider_options(models)
    add_json(models)
    models.set_defaults(run=cmd_models)

    test = sub.add_parser("test", help="check that providers are reachable and authenticated")
    test.add_argument("-p", "--provider", action="append", choices=PROVIDER_IDS,
                      help="provider to test (repeatable; default: every enabled one): "
                           + ", ".join(PROVIDER_IDS))
    add_json(test)
    test.set_defaults(run=cmd_test)


def cmd_models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = resolve_settings(args, args.provider)
    from ..worker import Worker
    worker = Worker()
    try:
        handle = worker.list_models(settings)
        wait_interruptibly(handle.wait, handle.cancel)
    finally:
        worker.shutdown()
    error = handle.exception()
    if isinstance(error, ProviderError):
        raise config_error(error)
    models = handle.result()
    if args.json:
        out.write(json.dumps([m.id for m in models]) + "\n")
    else:
        for model in models:
            out.write(model.id if model.label in ("", model.id) else f"{model.id}\t{model.label}")
            out.write("\n")
    out.flush()
    return EXIT_OK


def cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..client import ConnectionCheck
    from ..config import NotSetUp, load_config
    config = load_config()
    provider_ids: List[str] = args.provider or [p.id for p in config.providers(enabled_only=True)]
    if not provider_ids:
        raise CliError(EXIT_USAGE, errors.CONFIG, "no provider is enabled",
                       "Enable one in Settings, or pass -p PROVIDER.")
    from ..worker import Worker
    worker = Worker()
    results: Dict[str, ConnectionCheck] = {}
    states: Dict[str, str] = {}
    handles = {}
    try:
        for provider_id in provider_ids:
            try:
                settings = config.resolve(provider_id)
            except ProviderError as exc:
                results[provider_id] = ConnectionCheck(provider_id, False, error_kind=exc.kind,
                                                       error_message=exc.message, hint=exc.hint)
                states[provider_id] = NOT_SET_UP if isinstance(exc, NotSetUp) else FAILED
                continue
            handles[provider_id] = worker.check_connection(settings)
        for provider_id, handle in handles.items():
            wait_interruptibly(handle.wait, handle.cancel)
            results[provider_id] = check = handle.result()
            states[provider_id] = OK if check.ok else FAILED
    finally:
        worker.shutdown()
    for provider_id in provider_ids:
        _print_check(out, results[provider_id], states[provider_id], args.json)
    out.flush()
    return _test_exit_code(states, err)


def _test_exit_code(states: Dict[str, str], err: TextIO) -> int:
    configured = [s for s in states.values() if s != NOT_SET_UP]
    if not configured:
        print_error(err, errors.CONFIG, "none of the providers tested is set up",
                    "Add a key in Settings (or set the provider's environment variable), "
                    "or give a base URL.")
        return EXIT_USAGE
    return EXIT_OK if all(s == OK for s in configured) else EXIT_ERROR


def _print_check(out: TextIO, check: Any, state: str, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps({
            "provider": check.provider, "ok": check.ok, "status": state,
            "latency": check.latency, "model_count": check.model_count,
            "version": check.version, "error_kind": check.error_kind,
            "error_message": check.error_message, "hint": check.hint}) + "\n")
        return
    if state == OK:
        version = f", server {check.version}" if check.version else ""
        out.write(f"{check.provider}: ok, {check.latency * 1000:.0f} ms, "
                  f"{check.model_count} models{version}\n")
        return
    label = "not set up" if state == NOT_SET_UP else f"FAILED {check.error_kind}"
    out.write(f"{check.provider}: {label}: {check.error_message}\n")
    if check.hint:
        out.write(f"  {check.hint}\n")
