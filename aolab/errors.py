"""One exception hierarchy for aolab.

Every error names what it is about: the message (by short ID or a short
rendering), the key and the device involved, and what was expected.  All
inherit from :class:`AolabError`, so ``except aolab.errors.AolabError`` catches
anything aolab raises on purpose.
"""
from __future__ import annotations


class AolabError(Exception):
    """Base class of every error aolab raises on purpose.

    Attributes ``key``, ``device`` and ``message`` (a short description of the
    message involved) are set when known, so tools can inspect them.
    """

    def __init__(self, text: str, *, key=None, device=None, message=None):
        self.key = key
        self.device = device
        self.message = message
        super().__init__(text)


class MessageError(AolabError, ValueError):
    """A message is malformed: bad key, unsupported value type, a cycle."""


class EncodingError(MessageError):
    """A message cannot be encoded or decoded by a codec (httpsig, structured)."""


class PathError(AolabError, ValueError):
    """A request path is malformed (empty segment, ``..``, bad ``~device``)."""


class DeviceError(AolabError):
    """A device cannot be found, loaded or is not allowed on this node."""


class DeviceNotFound(DeviceError, LookupError):
    """No device is registered under the requested ``name@version``."""


class DeviceNotAllowed(DeviceError, PermissionError):
    """The device exists but the node's configuration does not allow it."""


class KeyNotFound(AolabError, KeyError):
    """A key is absent from a message and its device has no default handler."""

    def __str__(self) -> str:  # KeyError would repr() the text otherwise
        return str(self.args[0]) if self.args else ""


class ResolutionError(AolabError):
    """A device handler failed, returned a bad value, or recursed too deep.

    When a step ended with a non-``ok`` status, ``status`` and ``value`` hold it.
    """

    status = "error"
    value = None

    def with_status(self, status, value) -> "ResolutionError":
        """This error with the status and value of the step that ended the resolution."""
        self.status, self.value = status, value
        return self


class HashpathError(AolabError, ValueError):
    """A hashpath is malformed or does not verify."""


class CommitmentError(AolabError):
    """A commitment cannot be made or does not verify."""


class StoreError(AolabError):
    """The store cannot read or write an entry (missing, corrupted, I/O)."""
