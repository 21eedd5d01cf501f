"""Replace a folder by another so that readers always see one of them: ``renameat2(RENAME_EXCHANGE)``.

On Linux the two folders swap names in one system call, so the target path exists at every moment;
where the call is missing (other systems, old kernels, filesystems without support) the fallback is two
renames, during which the target briefly does not exist.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import sys
from functools import cache
from pathlib import Path

AT_FDCWD = -100
RENAME_EXCHANGE = 2  # linux/fs.h


@cache
def _renameat2():
    """libc's ``renameat2``, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is not None:
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        fn.restype = ctypes.c_int
    return fn


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap the names of ``a`` and ``b`` (both must exist); False where the system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def replace_dir(new: Path, target: Path) -> None:
    """Put the finished folder ``new`` at ``target``, then delete the previous ``target``.

    ``target`` exists throughout when ``exchange`` works; otherwise the old folder is renamed aside
    first and removed only after ``new`` is in place."""
    if target.exists() and exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the previous output
        return
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
