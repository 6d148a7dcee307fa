"""Where per-partition asset outputs live: `CAM_DATA_URL`, a folder or an object store.

Each output is one Parquet file, `<asset>/<campaign>/<date>.parquet` under the URL: by default
the CAM home's `data/` folder, in production `s3://bucket/prefix` (or any fsspec URL) that every
machine of a deployment reaches. Credentials never appear in the URL CAM is given or shows: the
store's client reads them from its usual places (for S3: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_ENDPOINT_URL, an IAM role).

Writing a partition replaces it whole, and a reader sees the old file or the new one, never part:
- in a folder, the file is written beside its final name and renamed into place;
- in an object store (S3, GCS, Azure), the bytes are made in memory and uploaded at once: an
  object store publishes an upload (a PUT, or a multipart upload when it completes) whole;
- on other filesystems (SFTP, HDFS), written under a temporary name, then moved into place.
A write that dies leaves the previous version. Reads of a remote object fetch it in one request,
so a replacement landing mid-read cannot mix two versions.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

SUFFIX = ".parquet"
_LOCAL = ("", "file", "local")
#: Stores that publish an upload whole: the new object replaces the old one at once.
_OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory"})

#: What writes a Parquet file: given a local path or a binary buffer.
Writer = Callable[[Any], object]


def data_root(url: str | Path) -> UPath:
    """The store at `url`: a folder path, `file://…`, `s3://bucket/prefix` or any fsspec URL.

    A URL that carries a password is refused (ValueError): it would be shown wherever the
    URL is (run config, output metadata, logs); the store's client takes it from its environment.
    """
    text = str(url)
    if urlsplit(text).password is not None:
        raise ValueError(
            f"the data URL {shown(text)} carries a password; take it out and give the store's credentials "
            "in its environment (for S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an IAM role)"
        )
    return UPath(text)


def is_local(path: UPath) -> bool:
    return path.protocol in _LOCAL


def _local(path: UPath) -> Path:
    return Path(path.path)


def partition_path(root: UPath | Path, asset: str, campaign: str, day: str) -> UPath:
    """Where `asset`'s output for `campaign` on `day` is stored under `root`."""
    return UPath(root).joinpath(asset, campaign, f"{day}{SUFFIX}")


def shown(path: UPath | str) -> str:
    """`path` as people may read it (logs, metadata, messages): a URL without any user or password."""
    text = str(path)
    parts = urlsplit(text)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return text


def replace(path: UPath, write: Writer) -> None:
    """Put what `write` makes at `path`, replacing any previous version at once (see the module's docstring)."""
    if is_local(path):
        _replace_local(_local(path), write)
        return
    buffer = io.BytesIO()
    write(buffer)
    data = buffer.getvalue()
    fs = path.fs
    if path.protocol in _OBJECT_STORES or (isinstance(fs.protocol, tuple) and _OBJECT_STORES & set(fs.protocol)):
        fs.pipe_file(path.path, data)
        return
    draft = path.with_name(f".writing-{uuid.uuid4().hex}{path.suffix}")
    fs.makedirs(path.parent.path, exist_ok=True)
    try:
        fs.pipe_file(draft.path, data)
        fs.mv(draft.path, path.path)
    except BaseException:
        if fs.exists(draft.path):
            fs.rm_file(draft.path)
        raise


def _replace_local(path: Path, write: Writer) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".writing-", suffix=path.suffix)
    os.close(fd)
    try:
        write(name)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def write_frame(path: UPath, frame: pd.DataFrame) -> None:
    """Store `frame` as the Parquet file at `path`, replacing the previous version whole."""
    replace(path, lambda target: frame.to_parquet(target, index=False))


def write_table(path: UPath, table: pa.Table) -> None:
    """Store `table` as the Parquet file at `path`, replacing the previous version whole."""
    replace(path, lambda target: pq.write_table(table, target))


@contextlib.contextmanager
def _opened(path: UPath) -> Iterator[IO[bytes]]:
    """One version of the file at `path`, whole: a reader given a name may open it more than once
    (its footer, then its columns), and a replacement landing in between would mix two versions."""
    if is_local(path):
        with _local(path).open("rb") as file:  # the file this opened, even if renamed over meanwhile
            yield file
    else:
        yield io.BytesIO(path.fs.cat_file(path.path))  # one GET


def read_frame(path: UPath, columns: list[str] | None = None) -> pd.DataFrame:
    """The DataFrame stored at `path`; FileNotFoundError when there is none."""
    with _opened(path) as file:
        return pd.read_parquet(file, columns=columns)


def read_table(path: UPath) -> pa.Table:
    """The Arrow table stored at `path`; FileNotFoundError when there is none."""
    with _opened(path) as file:
        return pq.read_table(file)


def parquet_files(root: UPath) -> Iterator[UPath]:
    """Every stored partition under `root`, in name order (none when `root` does not exist)."""
    if is_local(root):
        folder = _local(root)
        if folder.is_dir():
            for file in sorted(folder.rglob(f"*{SUFFIX}")):
                if file.is_file() and not file.is_symlink():
                    yield UPath(file)
        return
    fs = root.fs
    fs.invalidate_cache()  # a listing cached earlier in this process may miss what another machine wrote
    for key in sorted(fs.find(root.path)):
        if key.endswith(SUFFIX):
            yield root.joinpath(key[len(root.path) :].lstrip("/"))
