"""How log records are written: one line each, so text from a request can never forge a line of its own.

Request text reaches the logs in many places (an exception's message, an id in a warning, Bolt's own notes on
an unhandled request), so it is neutralised once, where records are formatted: a record's message has its
line breaks and other control characters written as escapes, and a traceback's lines are indented, so every
line that starts at the margin is the start of a record this process wrote.
"""

from __future__ import annotations

import logging
from typing import TextIO

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
# C0 controls, DEL and the C1 range: line breaks, carriage returns and the terminal escapes that rewrite a line.
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROLS.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_LINE_BREAKS = {ord("\u2028"): "\\u2028", ord("\u2029"): "\\u2029", ord("\x85"): "\\x85"}


def one_line(text: str) -> str:
    return text.translate(_CONTROLS).translate(_LINE_BREAKS)


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        written = self.formatMessage(record)
        # Formatted afresh rather than from record.exc_text: another handler may have cached it unindented.
        if record.exc_info:
            written += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            written += "\n" + _indented(record.exc_text)
        if record.stack_info:
            written += "\n" + self.formatStack(record.stack_info)
        return written

    def formatMessage(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord({**record.__dict__, "message": one_line(record.message)})
        return super().formatMessage(safe)

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def]
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(stack_info)


def _indented(text: str) -> str:
    return "\n".join("  " + one_line(line) for line in text.splitlines())


def one_line_handler(stream: TextIO) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(LOG_FORMAT))
    return handler
