"""Safety checks shared by every ZIP Sparecast reads (catalog uploads, print packages).

An entry is refused before anything is read or written when its name could
escape the folder it is meant for (absolute path, drive letter, ``..``: zip
slip), when it is a link or a special file, or when it is encrypted. Callers add
their own rules on file types and layout and read entries with their own caps.
"""

from __future__ import annotations

import re
import stat
import zipfile

#: Operating-system files that are skipped rather than refused.
CLUTTER_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


def unsafe_entry_reason(info: zipfile.ZipInfo) -> str:
    """Why a ZIP entry is unsafe to read or extract (``""`` when it is not).

    Examples
    --------
    >>> unsafe_entry_reason(zipfile.ZipInfo("../../etc/passwd"))
    "'..' in the path (zip slip)"
    >>> unsafe_entry_reason(zipfile.ZipInfo("stl/part.stl"))
    ''
    """
    name = info.filename
    mode = info.external_attr >> 16
    parts = re.split(r"[/\\]+", name)
    problems = (
        # zipfile cuts a name at NUL, so "\x00.stl" arrives as "" (is_dir() fails)
        (name == "", "empty name (a NUL character at its start?)"),
        ("\x00" in name, "NUL character in the name"),
        (name.startswith(("/", "\\")), "absolute path"),
        (re.match(r"^[A-Za-z]:", name) is not None, "drive letter in the path"),
        (".." in parts, "'..' in the path (zip slip)"),
        (stat.S_ISLNK(mode), "symbolic link"),
        (
            stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR),
            "special file (device, pipe or socket)",
        ),
        (bool(info.flag_bits & 0x1), "encrypted entry"),
    )
    for refused, reason in problems:
        if refused:
            return reason
    return ""


def is_clutter(name: str) -> bool:
    """Whether an entry is operating-system clutter (``__MACOSX/``, ``._x``, ``.DS_Store``).

    Examples
    --------
    >>> is_clutter("__MACOSX/._parts.csv"), is_clutter("parts.csv")
    (True, False)
    """
    parts = name.replace("\\", "/").split("/")
    base = parts[-1].lower()
    return parts[0] == "__MACOSX" or base.startswith("._") or base in CLUTTER_NAMES
