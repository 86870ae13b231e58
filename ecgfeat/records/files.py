"""The files a record may read: confined to their folder, regular, bounded in size, consistent with the header.

Every header and signal file passes through here before a byte of it is read:

* a header's signal file names are bare file names (no folder, no ``..``, not absolute);
* a header resolves (symlinks followed) inside its dataset folder, a signal file inside its header's folder;
* both are regular files (not devices, FIFOs or sockets), within :data:`MAX_HEADER_BYTES` /
  :data:`MAX_SIGNAL_BYTES`;
* a signal file has the size its header implies, and a ``.mat`` file is a MATLAB v4 int16 matrix of shape
  (signals, samples) named ``val``, as the PhysioNet/CinC format requires (the header's ``16+24`` format
  reads the bytes after the 24-byte MAT header as int16, so any other MAT layout would be silently misread).

Violations raise :class:`InvalidRecordError` naming the record and the problem.
"""
from __future__ import annotations

import math
import os
import stat
import struct
from pathlib import Path

from ..exceptions import InvalidRecordError

#: Largest header accepted (bytes); real WFDB headers are under 5 kB.
MAX_HEADER_BYTES = 1 << 20
#: Largest signal file accepted (bytes): 512 MiB, e.g. 12 leads × 6 h at 1 kHz in 16 bit.
MAX_SIGNAL_BYTES = 512 << 20
#: Sampling rates accepted (Hz): diagnostic ECGs are recorded at 100–10,000 Hz.
SAMPLING_RATE_RANGE_HZ = (50.0, 20_000.0)
#: Most samples per signal accepted (a 24-h recording at 1 kHz).
MAX_SAMPLES = 86_400_000
#: Most signals per record accepted.
MAX_SIGNALS = 64

_WIDTH = {"16": 2, "61": 2, "24": 3, "32": 4, "80": 1, "8": 1, "212": 1.5}


def check_file_name(record: str, name: str) -> str:
    """A signal file name from a header must be a bare file name in the header's folder."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name or Path(name).is_absolute():
        raise InvalidRecordError(f"Record '{record}': signal file name {name!r} is not a plain file name in the "
                                 "record's folder; refused")
    return name


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (symlinks followed; a link loop stays where it is) lies inside ``folder``."""
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real, top]) == top


def check_regular_file(record: str, path: Path, what: str, max_bytes: int, folder: Path | None) -> int:
    """Size in bytes of ``path`` after checking it is a regular file within ``max_bytes`` and, when ``folder``
    is given, that it resolves inside ``folder``."""
    if folder is not None and not _inside(path, folder):
        raise InvalidRecordError(f"Record '{record}': {what} {path.name} resolves to {os.path.realpath(path)}, "
                                 f"outside {folder}; refused")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InvalidRecordError(f"Record '{record}': {what} {path.name} is missing (expected at {path})") from None
    except OSError as exc:
        raise InvalidRecordError(f"Record '{record}': {what} {path} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InvalidRecordError(f"Record '{record}': {what} {path} is not a regular file (device, FIFO or "
                                 "folder); refused")
    if st.st_size > max_bytes:
        raise InvalidRecordError(f"Record '{record}': {what} {path.name} has {st.st_size} bytes, more than the "
                                 f"{max_bytes} accepted")
    return st.st_size


def read_header_text(record: str, hea: Path, root: Path | None = None) -> str:
    """The text of a header file, checked (regular, bounded, inside ``root``) before it is read."""
    check_regular_file(record, hea, "header file", MAX_HEADER_BYTES, root)
    with open(hea, "rb") as fh:
        data = fh.read(MAX_HEADER_BYTES + 1)
    if len(data) > MAX_HEADER_BYTES:  # grew while we looked
        raise InvalidRecordError(f"Record '{record}': header file {hea.name} exceeds {MAX_HEADER_BYTES} bytes")
    if b"\x00" in data:
        raise InvalidRecordError(f"Record '{record}': header file {hea.name} is binary, not a WFDB header")
    return data.decode("utf-8", errors="replace")


def expected_bytes(fmt: str, n_samples: int, n_signals: int) -> tuple[int, bool]:
    """Bytes a signal file of format ``fmt`` (e.g. ``'16'``, ``'16+24'``) needs; (bytes, exact). ``(0, False)``
    for formats whose size cannot be computed."""
    parts = fmt.split("+")
    offset = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    width = _WIDTH.get(parts[0])
    if width is None:
        return 0, False
    n = math.ceil(n_samples * n_signals * width) + offset
    return n, parts[0] != "212"


def check_mat_v4(record: str, path: Path, n_signals: int, n_samples: int) -> None:
    """A PhysioNet ``.mat`` signal file is MATLAB v4, little-endian int16, (n_signals × n_samples), named
    ``val``: anything else (MAT v5, float64, int32, transposed) would be misread as int16 samples."""
    with open(path, "rb") as fh:
        head = fh.read(128)
    if head[:6] == b"MATLAB":
        raise InvalidRecordError(f"Record '{record}': {path.name} is a MAT v5/v7 file; the WFDB .mat format is "
                                 "MAT v4 int16 (save with -v4)")
    if len(head) < 20:
        raise InvalidRecordError(f"Record '{record}': {path.name} is too short for a MAT v4 header")
    mtype, mrows, ncols, imagf, namlen = struct.unpack("<5i", head[:20])
    name = head[20:20 + namlen].rstrip(b"\x00") if 0 < namlen <= 64 else b""
    if mtype != 30:
        kinds = {0: "float64", 10: "float32", 20: "int32", 40: "uint16", 50: "uint8"}
        what = kinds.get(mtype, f"MAT v4 type {mtype}" if 0 <= mtype < 5000 else "not a MAT v4 file")
        raise InvalidRecordError(f"Record '{record}': {path.name} holds {what} data; the WFDB .mat format is "
                                 "little-endian int16 (MAT v4 type 30)")
    if imagf:
        raise InvalidRecordError(f"Record '{record}': {path.name} holds complex data")
    if (mrows, ncols) != (n_signals, n_samples):
        transposed = (mrows, ncols) == (n_samples, n_signals)
        raise InvalidRecordError(
            f"Record '{record}': {path.name} is a {mrows} × {ncols} matrix, the header says {n_signals} signals × "
            f"{n_samples} samples" + (" (transposed)" if transposed else ""))
    if 20 + namlen + 2 * mrows * ncols != path.stat().st_size:
        raise InvalidRecordError(f"Record '{record}': {path.name} has {path.stat().st_size} bytes, the MAT header "
                                 f"implies {20 + namlen + 2 * mrows * ncols} (truncated or padded?)")
    if name != b"val":
        raise InvalidRecordError(f"Record '{record}': {path.name} holds variable {name!r}, expected 'val'")


def check_signal_file(record: str, hea: Path, file_name: str, fmt: str, n_samples: int, n_signals_in_file: int,
                      ) -> Path:
    """Check one signal file of a header before it is read; return its path."""
    check_file_name(record, file_name)
    path = hea.with_name(file_name)
    size = check_regular_file(record, path, "signal file", MAX_SIGNAL_BYTES, hea.parent)
    if file_name.lower().endswith(".mat"):  # the MAT header says more than the size alone
        check_mat_v4(record, path, n_signals_in_file, n_samples)
    need, exact = expected_bytes(fmt, n_samples, n_signals_in_file)
    if need and (size < need or (exact and size != need)):
        raise InvalidRecordError(
            f"Record '{record}': signal file {file_name} has {size} bytes, expected {'' if exact else 'at least '}"
            f"{need} for {n_samples} samples x {n_signals_in_file} signals (truncated or padded?)")
    return path
