"""Safe file writes: checked output paths, then a temp file beside the target, fsync, rename.

An interrupted run leaves either the old file or the new one, never half of one,
and a write never replaces what it must not:

- :func:`check_output_file` refuses, before any work, an output that is a folder,
  a symbolic link, a device, a FIFO or a socket, one under a regular file, on a
  pseudo file system (``/proc``, ``/sys``, ``/dev``), in a folder lemm cannot write,
  or with an extension other than the accepted ones;
- :func:`atomic_write_bytes` writes the bytes to ``.NAME.lemm-XXXXXXXX.tmp`` beside
  the target, fsyncs it and renames it over the target; on any error the temp file
  is removed and the target is untouched. Write errors (no space, read-only file
  system) become an :class:`~lemm.errors.OutputPathError` naming the file;
- a temp file left by a killed run is removed by the next write of the same target
  (a temp file is flock-ed while it is written, so a live writer's is never taken).

Song folders, which are written as a unit, build on this in :mod:`lemm.project.commit`.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_text(d / "a.txt", "hello").read_text()
'hello'
>>> sorted(p.name for p in d.iterdir())
['a.txt']
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from lemm.errors import OutputPathError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_path",
    "atomic_file",
    "check_output_file",
    "check_output_folder",
    "check_free_space",
    "remove_stale_temp_files",
    "is_temp_file_name",
    "fsync_tree",
    "fsync_folder",
    "write_error",
    "WriteFailedError",
    "remove_tree",
    "can_write_in",
]

#: Bytes handed to one ``os.write`` call (the fault-injecting tests count these calls).
WRITE_CHUNK_BYTES = 1 << 20

#: File systems whose entries are not files (writing there talks to the kernel, not a disk).
PSEUDO_FILE_SYSTEMS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs", "securityfs",
    "configfs", "pstore", "bpf", "fusectl", "mqueue", "efivarfs", "binfmt_misc", "autofs", "nsfs", "rpc_pipefs",
})

# ".NAME.lemm-XXXXXXXX.tmp.SUFFIX" (this module) and ".NAME.XXXXXXXX.tmp.SUFFIX" (lemm before 0.2)
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?:lemm-)?[a-z0-9_]{8}\.tmp(?P<suffix>(?:\.[^./]*)?)$")


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once at import: os.umask is process-wide, not thread-safe to toggle later

_os_write = os.write  # the one low-level write of lemm's files (tests replace it to inject faults)


class WriteFailedError(OutputPathError):
    """Writing a file failed part-way (no space, read-only file system, ...); the old file is kept."""


def write_error(err: OSError, path: str | os.PathLike, *, what: str = "file") -> WriteFailedError:
    """An OutputPathError for an OSError met while writing ``path``, naming the path and the cause."""
    reason = err.strerror or str(err)
    if err.errno == errno.ENOSPC:
        reason = "no space left on the device"
    elif err.errno == errno.EROFS:
        reason = "the file system is read-only"
    elif err.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    elif err.errno == errno.ENAMETOOLONG:
        reason = "a file name is too long (at most 255 bytes per name)"
    return WriteFailedError(f"cannot write {what} {str(path)!r}: {reason}")


def _mounts() -> list[tuple[str, str]]:
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 3:
            out.append((parts[1].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\"), parts[2]))
    return out


def _file_system_type(path: Path) -> str | None:
    """The type of the file system ``path`` (resolved) is on, from /proc/self/mounts; None if unknown."""
    best, kind = "", None
    text = str(path)
    for mount, fstype in _mounts():
        inside = text == mount or text.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, kind = mount, fstype
    return kind


def _nearest_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (following symbolic links)."""
    p = path
    while not os.path.exists(p) and p != p.parent:
        p = p.parent
    return p


def can_write_in(folder: Path) -> bool:
    """Whether this process may create entries in ``folder`` (False on a read-only file system)."""
    return os.access(folder, os.W_OK | os.X_OK)  # access(2) answers EROFS for a read-only mount


def check_output_folder(path: str | os.PathLike, *, what: str = "output folder", allow_root: bool = False) -> Path:
    """Check, before any work, that a folder at ``path`` can hold new files; returns the absolute path.

    ``path`` need not exist yet: then its nearest existing ancestor must be a
    writable folder. Nothing is created. The root folder itself is refused
    unless ``allow_root`` (a song folder must not be ``/``).

    Raises
    ------
    OutputPathError
        ``path`` or an ancestor is a regular file (or other non-folder), ``path`` is
        the root folder or on a pseudo file system (/proc, /sys, /dev), or lemm may
        not write there (read-only file system, no permission).
    """
    folder = Path(os.path.abspath(os.fspath(path)))
    if folder == folder.parent and not allow_root:
        raise OutputPathError(f"{what} must not be the root folder {str(folder)!r}")
    if os.path.lexists(folder) and not folder.is_dir():
        raise OutputPathError(f"{what} {str(folder)!r} is an existing file (or device), not a folder")
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise OutputPathError(f"{what} {str(folder)!r} is under {str(existing)!r}, which is a file, not a folder")
    real = Path(os.path.realpath(existing))
    kind = _file_system_type(real)
    if kind in PSEUDO_FILE_SYSTEMS:
        raise OutputPathError(f"{what} {str(folder)!r} is on the {kind} pseudo file system, which holds no files; pick a folder on a disk")
    if not can_write_in(existing):
        raise OutputPathError(f"{what} {str(folder)!r} cannot be written: {str(existing)!r} is read-only or not writable by this user")
    return folder


def check_output_file(path: str | os.PathLike, *, suffixes: Iterable[str] | None = None, what: str = "output file") -> Path:
    """Check, before any work, that a file can be written at ``path``; returns ``path`` as a Path.

    An existing regular file may be replaced (atomically); anything else at the
    path is refused: a folder (``.``, ``/``), a symbolic link (its target is not
    lemm's to replace), a device (``/dev/null``), a FIFO or a socket.

    Parameters
    ----------
    path : path
    suffixes : iterable of str, optional
        Accepted extensions in lower case, e.g. ``(".wav", ".flac")``.
    what : str
        Names the file in messages.

    Raises
    ------
    OutputPathError
        For every case above, for a path under a regular file or on a pseudo file
        system, for a folder lemm cannot write in, and for another extension.
    """
    target = Path(os.fspath(path))
    if not str(path) or str(path).endswith(os.sep) or target.name in ("", ".", ".."):
        raise OutputPathError(f"{what} {str(path)!r} must be a file path, not a folder")
    if len(target.name.encode("utf-8", "surrogateescape")) > 255:
        raise OutputPathError(f"{what} name {target.name[:40]!r}... is too long (at most 255 bytes)")
    try:
        st = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):  # the folder check below says which
        st = None
    except OSError as err:
        raise write_error(err, target, what=what) from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise OutputPathError(f"{what} {str(path)!r} is a symbolic link; lemm does not replace links or their targets: give the real path")
        if stat.S_ISDIR(st.st_mode):
            raise OutputPathError(f"{what} {str(path)!r} is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
            raise OutputPathError(f"{what} {str(path)!r} is {kind}, not a regular file; lemm never replaces it")
    if suffixes is not None:
        accepted = tuple(suffixes)
        if target.suffix.lower() not in accepted:
            raise OutputPathError(
                f"{what} {str(path)!r} must end in {' or '.join(accepted)} (the formats lemm writes), got {target.suffix or 'no extension'!r}"
            )
    check_output_folder(target.parent, what=f"folder of the {what}", allow_root=True)
    return target


def check_free_space(folder: str | os.PathLike, n_bytes: int, *, what: str) -> None:
    """Raise OutputPathError if the file system of ``folder`` (or its nearest ancestor) has under ``n_bytes`` free."""
    existing = _nearest_existing(Path(os.path.abspath(os.fspath(folder))))
    free = free_bytes(existing)
    if free is not None and free < n_bytes:
        raise OutputPathError(
            f"not enough space for {what} in {str(folder)!r}: needs about {n_bytes / 1e6:.0f} MB, {free / 1e6:.0f} MB free"
        )


def free_bytes(folder: Path) -> int | None:
    """Bytes free to this user on ``folder``'s file system (None if it cannot be told)."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def is_temp_file_name(name: str) -> bool:
    """Whether ``name`` is a temp file name of :func:`atomic_path` (``.NAME.lemm-XXXXXXXX.tmp.SUFFIX``, or lemm < 0.2's)."""
    m = _TEMP_NAME.match(name)
    return bool(m) and Path(m["name"]).suffix == m["suffix"]


def _remove_if_unlocked(path: Path) -> bool:
    """Remove the temp file ``path`` unless a live writer holds its lock; True if removed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a writer is still at it
    else:
        try:
            path.unlink()
        except OSError:
            return False
        return True
    finally:
        os.close(fd)


def remove_stale_temp_files(folder: str | os.PathLike, *, target_name: str | None = None) -> int:
    """Remove temp files left in ``folder`` by killed writes (only lemm's temp names, only unlocked ones).

    With ``target_name``, only the temp files of that target. Returns how many were removed.
    """
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        if not is_temp_file_name(name):
            continue
        if target_name is not None and _TEMP_NAME.match(name)["name"] != target_name:
            continue
        removed += _remove_if_unlocked(Path(folder) / name)
    return removed


def fsync_folder(folder: str | os.PathLike) -> None:
    """fsync a folder, so the renames and new names in it are on the disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: str | os.PathLike) -> None:
    """fsync every file and folder under ``root`` (and ``root``), deepest first."""
    for here, _, files in os.walk(root, topdown=False):
        for name in files:
            fd = os.open(os.path.join(here, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_folder(here)


def _prepare(target: Path) -> None:
    check_output_file(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise write_error(err, target.parent, what="folder") from None
    remove_stale_temp_files(target.parent, target_name=target.name)


@contextlib.contextmanager
def _locked_temp(target: Path) -> Iterator[tuple[int, Path]]:
    """A new, flock-ed temp file beside ``target``: (fd, path); removed on error."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.lemm-", suffix=".tmp" + target.suffix, dir=target.parent)
    except OSError as err:
        raise write_error(err, target) from None
    tmp_path = Path(tmp)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # marks the temp file as live for remove_stale_temp_files
        yield fd, tmp_path
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _install(tmp_path: Path, target: Path) -> None:
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file normal permissions
    os.replace(tmp_path, target)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success it is fsync-ed and renamed onto ``path``.

    Use it for writers that want a file name (mido, music21). On error the temp
    file is removed and ``path`` is untouched; an OSError (no space, read-only)
    becomes an OutputPathError naming ``path``.

    Raises
    ------
    OutputPathError
        See :func:`check_output_file`, and for write errors.
    """
    target = Path(path)
    _prepare(target)
    with _locked_temp(target) as (_, tmp_path):
        try:
            yield tmp_path
            _fsync_path(tmp_path)
            _install(tmp_path, target)
        except OutputPathError:
            raise
        except OSError as err:
            raise write_error(err, target) from None


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_fully(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        n = _os_write(fd, view[:WRITE_CHUNK_BYTES])
        view = view[n:]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename) and return the path.

    Raises
    ------
    OutputPathError
        See :func:`check_output_file`; also when the write fails (no space,
        read-only file system), in which case ``path`` is untouched and no temp
        file is left.
    """
    target = Path(path)
    _prepare(target)
    with _locked_temp(target) as (fd, tmp_path):
        try:
            _write_fully(fd, data)
            os.fsync(fd)
            _install(tmp_path, target)
        except OSError as err:
            raise write_error(err, target) from None
    return target


class _TempFile(io.RawIOBase):
    """An open temp file (by its descriptor) for writers that take a file object: its writes are :func:`_write_fully`'s.

    A write that fails is remembered in ``error`` and returns 0 (later writes do
    nothing): an encoder calls it from C, where an exception cannot pass; the
    caller raises ``error`` when the writer is done.
    """

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self.error: BaseException | None = None  # an OSError, or Ctrl-C while writing

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = os.read(self._fd, len(memoryview(buffer).cast("B")))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        if self.error is not None:
            return 0
        try:
            _write_fully(self._fd, view)
        except BaseException as err:  # noqa: BLE001 - kept, and raised by the caller once the encoder returns
            self.error = err
            return 0
        return len(view)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return os.lseek(self._fd, offset, whence)

    def tell(self) -> int:
        return os.lseek(self._fd, 0, os.SEEK_CUR)

    def close(self) -> None:  # the descriptor is the temp file's own (closed by _locked_temp)
        super().close()


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, *, durable: bool = True) -> Iterator[io.RawIOBase]:
    """Yield an open binary file (read, write, seek) that becomes ``path`` on success (fsync, rename), as :func:`atomic_write_bytes`.

    For writers that stream into a file object (an audio encoder writing block by
    block, its header last): nothing is held in memory, and every write is lemm's
    one low-level write (so a full disk or a read-only file system fails it as it
    fails :func:`atomic_write_bytes`; a failed write returns 0 and is raised when the
    block ends, see ``_TempFile``). On error the temp file is removed and
    ``path`` is untouched; an OSError becomes an OutputPathError naming ``path``.

    ``durable=False`` leaves out the fsync before the rename, for files that are
    checked when read (cache entries carry their hash): a crash of the machine may
    leave such a file torn, and its reader then makes it again; a killed process
    cannot (the kernel still writes what it was given). The rename stays atomic.
    """
    target = Path(path)
    _prepare(target)
    with _locked_temp(target) as (fd, tmp_path):
        try:
            with _TempFile(fd) as file:
                yield file
            if file.error is not None:
                raise file.error
            if durable:
                os.fsync(fd)
            _install(tmp_path, target)
        except OutputPathError:
            raise
        except OSError as err:
            raise write_error(err, target) from None


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically and return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def remove_tree(path: str | os.PathLike) -> None:
    """Remove a folder lemm made (staging) and everything in it; a missing folder is fine."""
    shutil.rmtree(path, ignore_errors=True)
