"""Logging for the panel: one ``nuke_ai_panel`` logger tree, a rotating file, keys masked.

Redaction is a :class:`RedactFilter`. It sits on every logger handed out by :func:`get_logger`
(so records are masked before *any* handler sees them, including handlers the UI or Nuke add
later, on our loggers or on the root logger) and on the file handler. Use :func:`protect_handler`
for a handler that also receives records from other libraries' loggers.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path
from typing import Optional

from .paths import logs_dir
from .redact import redact

ROOT_LOGGER = "nuke_ai_panel"
LOG_FILE_NAME = "nuke_ai_panel.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"


class RedactFilter(logging.Filter):
    """Replaces the record's final message (arguments merged, traceback included) with a
    redacted copy. Never rejects a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!r} (unformattable arguments {record.args!r})"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactFilter()


def get_logger(name: str = "") -> logging.Logger:
    """A logger under ``nuke_ai_panel`` (``__name__`` of our modules works as is), with
    redaction attached."""
    if name == ROOT_LOGGER or name.startswith(ROOT_LOGGER + "."):
        full = name
    else:
        full = f"{ROOT_LOGGER}.{name}" if name else ROOT_LOGGER
    _package_logger()
    logger = logging.getLogger(full)
    _attach(logger)
    return logger


def protect_handler(handler: logging.Handler) -> logging.Handler:
    """Add redaction to ``handler`` (idempotent) and return it."""
    _attach(handler)
    return handler


def setup_file_logging(level: int = logging.INFO, max_bytes: int = 1_000_000,
                       backup_count: int = 3) -> Path:
    """Log to ``logs/nuke_ai_panel.log`` under the user directory; safe to call repeatedly.

    A second call with the same user directory changes nothing; after ``NUKE_AI_PANEL_HOME``
    moved, the old file handler is closed and a new one opened in the new place.
    """
    path = logs_dir() / LOG_FILE_NAME
    logger = _package_logger()
    for handler in list(logger.handlers):
        if isinstance(handler, _PanelFileHandler):
            if handler.baseFilename == os.path.abspath(path):
                handler.setLevel(level)
                _lower_level(logger, level)
                return path
            logger.removeHandler(handler)
            handler.close()
    handler = _PanelFileHandler(path, maxBytes=max_bytes, backupCount=backup_count,
                                encoding="utf-8", delay=True)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(_FORMAT))
    protect_handler(handler)
    logger.addHandler(handler)
    _lower_level(logger, level)
    return path


def close_file_logging() -> None:
    """Detach and close the file handler (tests, or before the user directory moves)."""
    logger = logging.getLogger(ROOT_LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler, _PanelFileHandler):
            logger.removeHandler(handler)
            handler.close()


def log_file_path() -> Optional[Path]:
    """The file currently logged to, or None when file logging is off."""
    for handler in logging.getLogger(ROOT_LOGGER).handlers:
        if isinstance(handler, _PanelFileHandler):
            return Path(handler.baseFilename)
    return None


class _PanelFileHandler(logging.handlers.RotatingFileHandler):
    """Marks the handler this module owns, so repeated setup finds it."""


def _package_logger() -> logging.Logger:
    logger = logging.getLogger(ROOT_LOGGER)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    _attach(logger)
    return logger


def _attach(target) -> None:
    if not any(isinstance(f, RedactFilter) for f in target.filters):
        target.addFilter(_FILTER)


def _lower_level(logger: logging.Logger, level: int) -> None:
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
