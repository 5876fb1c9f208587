"""The documents' byte records: a read-only base mapped from a file, plus the records
appended since, in memory.

A replica reads the texts of the chunks it returns, a few dozen a search, so the texts of a
large corpus need not live in the process's own memory: once the index is saved (or loaded),
its texts are read from a mapped copy of the file's bytes, and the kernel keeps in its page
cache (reclaimable) only the pages searches touch. At 1M chunks that is ~120 MiB of anonymous
memory the index server no longer holds.

Records are whole and never change once written (``index.columns``), so a record lies either in
the base or in the tail, never across both; a slice inside the base is returned as ``bytes``,
one inside the tail as ``bytearray`` (both ``decode``, split and feed ``json.loads``).
A pass over every record (saving, hashing, a lexical rebuild) drops the base's pages from the
process afterwards (``MADV_DONTNEED``: read again from the page cache when touched), so it does
not leave the whole file counted against the server.
"""

from __future__ import annotations

import logging
import mmap
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

_ZIP_LOCAL_HEADER = 30  # fixed part of a zip local file header; name and extra field follow
_COPY_BLOCK = 4 << 20
log = logging.getLogger(__name__)


class Records:
    """``base`` (a read-only buffer, usually a file mapping) followed by ``tail`` (appended)."""

    __slots__ = ("_base", "_map", "base_len", "tail")

    def __init__(self, base: Any = b"", tail: bytearray | None = None,
                 mapping: mmap.mmap | None = None) -> None:  # fmt: skip
        self._base = memoryview(base).cast("B")
        self._map = mapping
        self.base_len = len(self._base)
        self.tail = tail if tail is not None else bytearray()

    @classmethod
    def of_bytes(cls, data: bytes | bytearray) -> Records:
        """Records held in memory (a table built from the database, not from a file)."""
        return cls(b"", bytearray(data))

    @property
    def mapped(self) -> bool:
        return self._map is not None

    def base_array(self) -> np.ndarray:  # type: ignore[type-arg]
        """The base as a read-only uint8 array (no copy)."""
        return np.frombuffer(self._base, np.uint8)

    def with_tail(self, tail: bytes | bytearray) -> Records:
        """The same base followed by ``tail`` (a copy)."""
        return Records(self._base, bytearray(tail), self._map)

    def __len__(self) -> int:
        return self.base_len + len(self.tail)

    def __getitem__(self, span: slice) -> bytes | bytearray:
        start, stop = span.start or 0, span.stop
        if stop is None:
            stop = len(self)
        if start >= self.base_len:
            return self.tail[start - self.base_len : stop - self.base_len]
        if stop <= self.base_len:
            return self._base[start:stop].tobytes()
        return self._base[start:].tobytes() + self.tail[: stop - self.base_len]

    def __iadd__(self, data: bytes | bytearray) -> Records:
        self.tail += data
        return self

    def tobytes(self) -> bytes:
        """Every record, as one ``bytes`` (the base's pages released from the process after)."""
        try:
            return b"".join((self._base, self.tail))  # one copy
        finally:
            self.release()

    __bytes__ = tobytes

    def release(self) -> None:
        """Drop the mapped base's pages from this process (they stay in the page cache)."""
        if self._map is not None and self.base_len:
            self._map.madvise(mmap.MADV_DONTNEED)


def map_npz_member(path: Path, name: str) -> Records | None:
    """The uint8 array ``name`` of the ``.npz`` at ``path``, as a read-only mapping of a private
    copy of its bytes.

    ``np.savez`` stores members uncompressed, so the array's bytes lie contiguous in the file
    after the member's zip and ``.npy`` headers; they are copied in the kernel
    (``copy_file_range``) to an unnamed file beside it, which is mapped. Mapping the index file
    itself would let anything that rewrites it in place (``cp`` over it) change the texts under
    the server or, by truncating it, kill it with SIGBUS; an unnamed file nothing else can open,
    and the disk space goes with the last mapping (even after ``kill -9``).
    None when the member is compressed, not a 1-D uint8 array, or empty, or when no private
    copy can be written (the caller reads it into memory the usual way)."""
    with open(path, "rb") as f:
        with zipfile.ZipFile(f) as z:
            info = z.getinfo(f"{name}.npy")
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        f.seek(info.header_offset)
        local = f.read(_ZIP_LOCAL_HEADER)
        if local[:4] != b"PK\x03\x04":
            return None
        name_len = int.from_bytes(local[26:28], "little")
        extra_len = int.from_bytes(local[28:30], "little")
        member_start = info.header_offset + _ZIP_LOCAL_HEADER + name_len + extra_len
        f.seek(member_start)
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            return None
        if dtype != np.uint8 or len(shape) != 1 or fortran or not shape[0]:
            return None
        start, size = f.tell(), int(shape[0])
        if start + size > member_start + info.file_size:
            return None
        try:
            fd = _unnamed_file(path.parent)
            try:
                _copy_range(f.fileno(), fd, start, size)
                mapping = mmap.mmap(fd, size, access=mmap.ACCESS_READ)
            finally:
                os.close(fd)
        except OSError as exc:  # a read-only or full disk: the texts stay in memory instead
            log.warning("index texts kept in memory: no private copy in %s (%s)", path.parent, exc)
            return None
    return Records(memoryview(mapping), mapping=mapping)


def _unnamed_file(directory: Path) -> int:
    """A new file in ``directory`` with no name (removed as soon as it is closed and unmapped)."""
    try:
        return os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o600)
    except (AttributeError, OSError):  # no O_TMPFILE here, or a filesystem without it
        fd, name = tempfile.mkstemp(prefix=".records-", dir=directory)
        os.unlink(name)
        return fd


def _copy_range(src: int, dst: int, offset: int, size: int) -> None:
    """``size`` bytes of ``src`` from ``offset`` to the start of ``dst``, in the kernel when it
    can."""
    done = 0
    try:
        while done < size:
            n = os.copy_file_range(src, dst, size - done, offset + done, done)
            if n == 0:
                raise EOFError(f"the file ends {size - done} bytes early")
            done += n
        return
    except (AttributeError, OSError):  # no copy_file_range: copy through a small buffer
        pass
    while done < size:
        block = os.pread(src, min(_COPY_BLOCK, size - done), offset + done)
        if not block:
            raise EOFError(f"the file ends {size - done} bytes early")
        os.pwrite(dst, block, done)
        done += len(block)
