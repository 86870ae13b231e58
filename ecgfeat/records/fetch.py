"""Download PhysioNet datasets: resumable, SHA-256-verified, confined to the destination folder.

PhysioNet serves a dataset version at ``{base_url}/{slug}/{version}/`` with a ``SHA256SUMS.txt`` listing
every file (``<sha256> <relative path>``). :func:`fetch_dataset` reads that list, picks the metadata files and
the first ``n_records`` records (all files sharing a record's stem, e.g. ``.hea`` + ``.dat``), and downloads
each file to ``dest``: partial downloads resume with an HTTP ``Range`` request, finished files are verified
against their SHA-256, and files already present with the right hash are skipped.
"""
from __future__ import annotations

import logging
import time
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from tqdm.auto import tqdm

from .._hashing import file_sha256
from ..exceptions import ChecksumError, DownloadError, UsageError

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://physionet.org/files"


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset lives on PhysioNet and which of its files are records vs metadata."""

    slug: str
    version: str
    metadata: tuple[str, ...]  # files always fetched
    record_dirs: dict[int | None, str] = field(default_factory=dict)  # sampling rate -> record folder prefix


DATASET_SPECS: dict[str, DatasetSpec] = {
    "ptb-xl": DatasetSpec("ptb-xl", "1.0.3", ("ptbxl_database.csv", "scp_statements.csv"),
                          {100: "records100/", 500: "records500/"}),
    "ecg-arrhythmia": DatasetSpec("ecg-arrhythmia", "1.0.0", ("ConditionNames_SNOMED-CT.csv",),
                                  {None: "WFDBRecords/"}),
    "ludb": DatasetSpec("ludb", "1.0.1", ("ludb.csv",), {None: "data/"}),
}


@dataclass
class FetchReport:
    """What a fetch did: files downloaded, resumed, skipped (already verified) and bytes transferred."""

    downloaded: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bytes: int = 0


def parse_sha256sums(text: str) -> dict[str, str]:
    """``SHA256SUMS.txt`` → {relative path: sha256}. Accepts one or two spaces and ``*`` binary markers."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2 and len(parts[0]) == 64:
            out[parts[1].strip().lstrip("*")] = parts[0].lower()
    return out


def safe_relpath(name: str) -> PurePosixPath:
    """Validate a file name from a remote listing: relative, no ``..``, no drive or backslash tricks."""
    p = PurePosixPath(name)
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name or p.is_absolute() \
            or any(part in ("..", "") for part in p.parts):
        raise UsageError(f"refusing file name {name!r}: it would escape the destination folder")
    return p


def select_files(sums: dict[str, str], spec: DatasetSpec, *, n_records: int | None = None,
                 sampling_rate: int | None = None) -> list[str]:
    """Metadata files plus every file of the first ``n_records`` records (record = path stem), sorted."""
    prefix = spec.record_dirs.get(sampling_rate) or spec.record_dirs.get(None)
    if prefix is None:
        raise UsageError(f"{spec.slug}: sampling rate {sampling_rate} not available; "
                         f"choose from {sorted(k for k in spec.record_dirs if k)}")
    for name in sums:
        safe_relpath(name)
    stems: dict[str, list[str]] = {}
    for name in sorted(sums):
        if name.startswith(prefix) and not name.endswith(("RECORDS", ".txt", ".csv")):
            stem = str(PurePosixPath(name).with_suffix(""))
            stems.setdefault(stem, []).append(name)
    records = [s for s in stems if f"{s}.hea" in sums]
    if n_records is not None:
        records = records[:n_records]
    files = [m for m in spec.metadata if m in sums]
    missing = [m for m in spec.metadata if m not in sums]
    if missing:
        logger.warning("%s: metadata files %s are not listed in SHA256SUMS.txt", spec.slug, missing)
    for s in records:
        files.extend(stems[s])
    return files


#: Largest file fetched (bytes); the largest PhysioNet ECG files are a few MB, ``ptbxl_database.csv`` ~ 8 MB.
MAX_FILE_BYTES = 1 << 30
#: Largest ``SHA256SUMS.txt`` accepted (bytes).
MAX_LISTING_BYTES = 64 << 20


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same scheme and host: another host's files (and checksums) are not trusted."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            raise DownloadError(f"{req.full_url}: redirect to another host ({new.scheme}://{new.netloc}) refused; "
                                "use that mirror's address as --base-url if you trust it")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameHostRedirects)


def check_base_url(base_url: str) -> str:
    """``https://…``, or ``http://`` on a loopback address (a local mirror); anything else is refused."""
    parts = urllib.parse.urlsplit(base_url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return base_url
    if parts.scheme == "http" and (host.startswith("127.") or host in ("localhost", "::1")):
        return base_url
    raise UsageError(f"base URL {base_url!r} refused: use https:// (plain http only for a mirror on this machine)")


def _get(url: str, timeout: float, start: int = 0):
    req = urllib.request.Request(url, headers={"User-Agent": "ecgfeat-fetch"})
    if start:
        req.add_header("Range", f"bytes={start}-")
    return _OPENER.open(req, timeout=timeout)


def _open_part(part: Path, append: bool) -> int:
    """A file descriptor for writing ``part``: never through a symlink (an existing link is removed)."""
    if part.is_symlink():
        logger.warning("%s is a symbolic link; removed instead of written through", part)
        part.unlink()
        append = False
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | (os.O_APPEND if append else os.O_TRUNC)
    return os.open(part, flags, 0o644)


def download_file(url: str, target: Path, sha256: str | None, *, report: FetchReport, timeout: float = 60.0,
                  retries: int = 3, max_bytes: int = MAX_FILE_BYTES) -> None:
    """Download ``url`` to ``target`` via ``target.part``, resuming, then verify ``sha256``.

    Never writes through a symbolic link; stops and removes the partial file when more than ``max_bytes``
    arrive, or more than the server's ``Content-Length``."""
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, retries + 1):
        start = part.stat().st_size if part.is_file() and not part.is_symlink() else 0
        try:
            with _get(url, timeout, start) as resp:
                if start and resp.status != 206:  # server ignored Range: start again
                    start = 0
                if start:
                    report.resumed.append(str(target))
                length = resp.headers.get("Content-Length", "")
                expected = int(length) if length.isdigit() else None  # a malformed length counts as none
                limit = max_bytes if expected is None else min(max_bytes, start + expected)
                fd = _open_part(part, append=bool(start))
                with os.fdopen(fd, "ab" if start else "wb") as out:
                    size = start
                    while chunk := resp.read(1 << 16):
                        size += len(chunk)
                        if size > limit:
                            out.close()
                            part.unlink()
                            raise DownloadError(f"{url}: more than {limit} bytes "
                                                + ("(its Content-Length)" if limit < max_bytes else "(the limit)")
                                                + "; refused and removed")
                        out.write(chunk)
                        report.bytes += len(chunk)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and part.exists():  # already complete
                expected = None
            elif exc.code in (404, 403):
                raise FileNotFoundError(f"{url}: HTTP {exc.code}") from None
            else:
                logger.warning("%s: HTTP %s (attempt %d/%d)", url, exc.code, attempt, retries)
                time.sleep(min(2 ** attempt * 0.1, 2.0))
                continue
        except DownloadError:
            raise
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            logger.warning("%s: transfer interrupted (%s); will resume (attempt %d/%d)", url, exc, attempt, retries)
            time.sleep(min(2 ** attempt * 0.1, 2.0))
            continue
        if expected is not None and part.stat().st_size < start + expected:
            logger.warning("%s: short read; will resume (attempt %d/%d)", url, attempt, retries)
            continue
        if sha256 is not None:
            got = file_sha256(part)
            if got != sha256:
                part.unlink()
                raise ChecksumError(f"{target.name}: SHA-256 {got} does not match the published {sha256} "
                                    f"(corrupted download from {url}); the partial file was removed")
        part.replace(target)  # replaces a symlink at target itself, never the file it points to
        report.downloaded.append(str(target))
        return
    raise DownloadError(f"{url}: could not download after {retries} attempts; run fetch again to resume")


def fetch_dataset(name: str, dest: str | Path, *, n_records: int | None = None, sampling_rate: int | None = None,
                  base_url: str = DEFAULT_BASE_URL, timeout: float = 60.0, progress: bool = True,
                  max_file_bytes: int = MAX_FILE_BYTES) -> FetchReport:
    """Fetch PhysioNet dataset ``name`` (``ptb-xl``, ``ecg-arrhythmia``, ``ludb``) into ``dest``.

    Only ``https://`` base URLs (or ``http://`` on this machine's loopback); redirects only to the same host;
    every file at most ``max_file_bytes``; no write through a symbolic link. Raises
    :class:`~ecgfeat.exceptions.ChecksumError` on a corrupted file, :class:`UsageError` on bad arguments or a
    listed file name that would escape ``dest``, :class:`DownloadError` on a refused or failed transfer.
    """
    if name not in DATASET_SPECS:
        raise UsageError(f"Unknown dataset {name!r}; choose from {sorted(DATASET_SPECS)}")
    if n_records is not None and (isinstance(n_records, bool) or not isinstance(n_records, int) or n_records < 1):
        raise UsageError(f"n_records must be a positive number of records, got {n_records!r}")
    check_base_url(base_url)
    spec = DATASET_SPECS[name]
    if name == "ptb-xl" and sampling_rate is None:
        sampling_rate = 500
    root_url = f"{base_url.rstrip('/')}/{spec.slug}/{spec.version}/"
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    report = FetchReport()
    sums_path = dest / "SHA256SUMS.txt"
    download_file(root_url + "SHA256SUMS.txt", sums_path, None, report=report, timeout=timeout,
                  max_bytes=MAX_LISTING_BYTES)
    sums = parse_sha256sums(sums_path.read_text())
    files = select_files(sums, spec, n_records=n_records, sampling_rate=sampling_rate)

    for rel in tqdm(files, desc=f"fetch {name}", unit="file", disable=not progress):
        target = dest.joinpath(*safe_relpath(rel).parts)
        folder = target.parent.resolve()  # a symlink at the file itself is replaced, never followed
        if folder != dest and dest not in folder.parents:
            raise UsageError(f"refusing file name {rel!r}: it would escape {dest}")
        if target.is_file() and not target.is_symlink() and file_sha256(target) == sums[rel]:
            report.skipped.append(str(target))
            continue
        download_file(root_url + rel, target, sums[rel], report=report, timeout=timeout, max_bytes=max_file_bytes)
    return report
