"""How many worker processes to start on this machine, and where joblib sends its tasks (this machine or a Dask
cluster)."""
from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from typing import Iterator

from joblib import parallel_config

from .exceptions import ConfigError


def check_n_jobs(n_jobs: int) -> int:
    """``n_jobs`` if it is -1 (every core) or a positive number of workers, else :class:`ConfigError`."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(f"n_jobs must be -1 (every core) or a positive number of workers, got {n_jobs!r}")
    return n_jobs


def worker_count(n_jobs: int) -> int:
    """Workers for ``n_jobs``: -1 means every core; more than the cores is capped at the cores with a warning
    (extra processes only compete for the same cores); 0 and other negatives are refused."""
    check_n_jobs(n_jobs)
    cores = os.cpu_count() or 1
    if n_jobs == -1:
        return cores
    if n_jobs > cores:
        warnings.warn(f"n_jobs={n_jobs} exceeds the {cores} cores of this machine; using {cores}", stacklevel=2)
        return cores
    return n_jobs


@contextmanager
def cluster_backend(scheduler: str | None) -> Iterator[object | None]:
    """Inside the block, joblib ``Parallel`` calls run on the ``dask.distributed`` cluster at ``scheduler`` (joblib's
    Dask backend; yields the client); with no address nothing changes (yields None). Each worker needs ecgfeat and
    its dependencies installed (the same versions as the client)."""
    if not scheduler:
        yield None
        return
    from distributed import Client  # optional: only with a Dask scheduler address

    with Client(scheduler) as client, parallel_config(backend="dask"):
        yield client
