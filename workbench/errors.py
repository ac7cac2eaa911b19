"""The workbench's one exception hierarchy.

Every error the workbench raises on purpose derives from :class:`WorkbenchError`, so a
caller can catch the family in one place and a bad input never escapes as a bare
``ValueError`` or ``KeyError``.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Root of every error raised on purpose by the workbench."""


class ConfigError(WorkbenchError):
    """A configuration file or override is invalid (unknown key, wrong type, forbidden value)."""


class ProtocolError(WorkbenchError):
    """Bytes on the wire do not follow the NATS text protocol (EITP v1.1 section 4.1)."""


class ValidationError(WorkbenchError):
    """A JSON document does not match the EITP packet or batch schema (sections 4.3, 5)."""


class BrowserError(WorkbenchError):
    """No usable Chromium was found, or a page or browser died mid-run."""


class SitePageError(WorkbenchError):
    """A dealer site page includes an unknown partial, or leaves a partial's placeholder without a value."""


class UsageError(WorkbenchError):
    """What a command was asked cannot be done as asked: a port that is taken, a database that is not one."""


class StoreError(UsageError):
    """A file cannot be opened as the workbench's SQLite store (not SQLite, a directory, no permission)."""


class BusError(WorkbenchError):
    """The message bus cannot be started or reached (nats-server missing, refused, gone)."""
