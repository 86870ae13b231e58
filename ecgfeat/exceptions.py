"""Errors and warnings raised by ecgfeat.

Every error a user can cause derives from :class:`EcgfeatError`; the command line reports those in one line
(exit code 2) and lets anything else, i.e. a bug, raise with its traceback.
"""
from __future__ import annotations


class EcgfeatError(Exception):
    """Base class of the errors a user's input or data can cause."""


class InvalidRecordError(EcgfeatError, ValueError):
    """A record cannot be read or is structurally wrong (shape, rate, units, leads, files)."""


class InvalidModelError(EcgfeatError, ValueError):
    """A saved model folder is damaged, edited after saving, or inconsistent (counts, names, weight files)."""


class ConfigError(EcgfeatError, ValueError):
    """A configuration value (study YAML, command-line option, parameter) is invalid."""


class UsageError(EcgfeatError, ValueError):
    """Inputs that do not fit together (tables that do not match, an unknown label, a wrong file kind)."""


class DataNotFoundError(EcgfeatError, FileNotFoundError):
    """An expected data folder or file is missing."""


class DownloadError(EcgfeatError, ConnectionError):
    """A file could not be downloaded (network failure after the retries)."""


class ChecksumError(EcgfeatError, IOError):
    """A downloaded file does not match its published SHA-256."""


class LeadQualityWarning(UserWarning):
    """A lead is usable only in part (NaN samples, flat signal, failed delineation)."""


class LabelMappingWarning(UserWarning):
    """Codes that the label table does not map, or malformed label entries."""
