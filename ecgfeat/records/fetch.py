"""Download PhysioNet datasets: resumable, SHA-256-verified, confined to the destination folder.

PhysioNet serves a dataset version at ``{base_url}/{slug}/{version}/`` with a ``SHA256SUMS.txt`` listing
every file (``<sha256> <relative path>``). :func:`fetch_dataset` reads that list, picks the metadata files and
the first ``n_records`` records (all files sharing a record's stem, e.g. ``.hea`` + ``.dat``), and downloads
each file to ``dest``: partial downloads resume with an HTTP ``Range`` request, finished files are verified
against their SHA-256, and files already present with the right hash are skipped.
"""
from __future__ import annotations

import hashlib
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _get(url: str, timeout: float, start: int = 0):
    req = urllib.request.Request(url, headers={"User-Agent": "ecgfeat-fetch"})
    if start:
        req.add_header("Range", f"bytes={start}-")
    return urllib.request.urlopen(req, timeout=timeout)


def download_file(url: str, target: Path, sha256: str | None, *, report: FetchReport, timeout: float = 60.0,
                  retries: int = 3) -> None:
    """Download ``url`` to ``target`` via ``target.part``, resuming, then verify ``sha256``."""
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, retries + 1):
        start = part.stat().st_size if part.exists() else 0
        try:
            with _get(url, timeout, start) as resp:
                if start and resp.status != 206:  # server ignored Range: start again
                    start = 0
                if start:
                    report.resumed.append(str(target))
                with open(part, "ab" if start else "wb") as out:
                    while chunk := resp.read(1 << 16):
                        out.write(chunk)
                        report.bytes += len(chunk)
                expected = resp.headers.get("Content-Length")
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and part.exists():  # already complete
                expected = None
            elif exc.code in (404, 403):
                raise FileNotFoundError(f"{url}: HTTP {exc.code}") from None
            else:
                logger.warning("%s: HTTP %s (attempt %d/%d)", url, exc.code, attempt, retries)
                time.sleep(min(2 ** attempt * 0.1, 2.0))
                continue
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            logger.warning("%s: transfer interrupted (%s); will resume (attempt %d/%d)", url, exc, attempt, retries)
            time.sleep(min(2 ** attempt * 0.1, 2.0))
            continue
        if expected is not None and part.stat().st_size < start + int(expected):
            logger.warning("%s: short read; will resume (attempt %d/%d)", url, attempt, retries)
            continue
        if sha256 is not None:
            got = _sha256(part)
            if got != sha256:
                part.unlink()
                raise ChecksumError(f"{target.name}: SHA-256 {got} does not match the published {sha256} "
                                    f"(corrupted download from {url}); the partial file was removed")
        part.replace(target)
        report.downloaded.append(str(target))
        return
    raise DownloadError(f"{url}: could not download after {retries} attempts; run fetch again to resume")


def fetch_dataset(name: str, dest: str | Path, *, n_records: int | None = None, sampling_rate: int | None = None,
                  base_url: str = DEFAULT_BASE_URL, timeout: float = 60.0, progress: bool = True) -> FetchReport:
    """Fetch PhysioNet dataset ``name`` (``ptb-xl``, ``ecg-arrhythmia``, ``ludb``) into ``dest``.

    Raises :class:`~ecgfeat.exceptions.ChecksumError` on a corrupted file and ``ValueError`` on a listed file
    name that would escape ``dest``.
    """
    if name not in DATASET_SPECS:
        raise UsageError(f"Unknown dataset {name!r}; choose from {sorted(DATASET_SPECS)}")
    spec = DATASET_SPECS[name]
    if name == "ptb-xl" and sampling_rate is None:
        sampling_rate = 500
    root_url = f"{base_url.rstrip('/')}/{spec.slug}/{spec.version}/"
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    report = FetchReport()
    sums_path = dest / "SHA256SUMS.txt"
    download_file(root_url + "SHA256SUMS.txt", sums_path, None, report=report, timeout=timeout)
    sums = parse_sha256sums(sums_path.read_text())
    files = select_files(sums, spec, n_records=n_records, sampling_rate=sampling_rate)
    from tqdm.auto import tqdm

    for rel in tqdm(files, desc=f"fetch {name}", unit="file", disable=not progress):
        target = dest.joinpath(*safe_relpath(rel).parts)
        if dest not in target.resolve().parents:
            raise UsageError(f"refusing file name {rel!r}: it would escape {dest}")
        if target.exists() and _sha256(target) == sums[rel]:
            report.skipped.append(str(target))
            continue
        download_file(root_url + rel, target, sums[rel], report=report, timeout=timeout)
    return report
