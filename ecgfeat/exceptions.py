"""Errors and warnings raised by ecgfeat."""
from __future__ import annotations


class InvalidRecordError(ValueError):
    """A record cannot be read or is structurally wrong (shape, rate, units, leads, files)."""


class LeadQualityWarning(UserWarning):
    """A lead is usable only in part (NaN samples, flat signal, failed delineation)."""


class LabelMappingWarning(UserWarning):
    """Codes that the label table does not map, or malformed label entries."""


class DataNotFoundError(FileNotFoundError):
    """An expected data folder or file is missing."""


class ChecksumError(IOError):
    """A downloaded file does not match its published SHA-256."""
