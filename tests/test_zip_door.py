"""The ZIP door of the catalog import: hostile archives are refused, nothing escapes.

Every refusal names the entry and the reason; nothing is written outside the
fresh extraction folder (a sentinel folder beside it stays untouched), nothing is
executed or unpickled, and the extraction folder is removed on failure or by
:meth:`Catalog.cleanup` (issue 8, item 3).
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.catalog import (
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_ENTRIES,
    Catalog,
    load_catalog,
)
from planner.errors import CatalogError

CATALOG_CSV = (
    b"part_id,description,unit_cost,annual_demand,lead_time_days,stl_file\n"
    b"P-1,Bracket,12.5,4,30,stl/bracket.stl\n"
    b"P-2,Seal,3,10,14,\n"
)
STL = b"solid cube\nendsolid cube\n"


def _zip(
    entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """ZIP bytes of ``entries`` (name -> content), names written verbatim."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            archive.writestr(info, content)
    return buffer.getvalue()


def _good_entries() -> dict[str, bytes]:
    return {"parts.csv": CATALOG_CSV, "stl/bracket.stl": STL}


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A private temp folder for extractions, and a sentinel folder beside it.

    Yields (temp folder, sentinel folder); after the test both must hold exactly
    what they held before (the temp folder: nothing left behind).
    """
    temp = tmp_path / "tmp"
    temp.mkdir()
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    (sentinel / "keep.txt").write_text("untouched")
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    yield temp, sentinel
    assert sorted(p.name for p in sentinel.iterdir()) == ["keep.txt"]
    assert (sentinel / "keep.txt").read_text() == "untouched"
    assert not (tmp_path / "pwned.csv").exists()
    assert not (tmp_path / "pwned.stl").exists()


def _refused(data: bytes, entry: str, reason: str, temp: Path) -> None:
    """load_catalog refuses ``data`` naming ``entry`` and ``reason``; temp stays empty."""
    with pytest.raises(CatalogError) as info:
        load_catalog(data, name="upload.zip")
    message = str(info.value)
    assert f"entry {entry!r} refused" in message, message
    assert reason in message, message
    assert list(temp.iterdir()) == [], "a refused archive must leave no folder"


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("../pwned.csv", "zip slip"),
        ("../../pwned.csv", "zip slip"),
        ("../sentinel/pwned.csv", "zip slip"),
        ("stl/../../sentinel/pwned.stl", "zip slip"),
        ("stl/./../../../pwned.stl", "zip slip"),
        ("..\\sentinel\\pwned.stl", "zip slip"),
        ("stl\\..\\..\\pwned.stl", "zip slip"),
        ("/tmp/pwned.csv", "absolute path"),
        ("//server/share/pwned.csv", "absolute path"),
        ("\\\\server\\share\\pwned.csv", "absolute path"),
        ("\\pwned.csv", "absolute path"),
        ("C:\\pwned.csv", "drive letter"),
        ("C:/pwned.csv", "drive letter"),
        ("c:pwned.csv", "drive letter"),
    ],
)
def test_zip_slip_names_are_refused(entry, reason, sandbox):
    """Paths that leave the folder (.., absolute, UNC, drive letters) are refused."""
    temp, _ = sandbox
    data = _zip({**_good_entries(), entry: b"part_id\nX\n"})
    _refused(data, entry, reason, temp)


def test_nul_in_a_name_is_cut_by_zipfile_and_still_refused(sandbox):
    """zipfile cuts a name at NUL ('stl/pwned\\x00.stl' -> 'stl/pwned'): refused."""
    temp, _ = sandbox
    data = _zip({**_good_entries(), "stl/pwned\x00.stl": b"x"})
    _refused(data, "stl/pwned", "unexpected file type (no suffix)", temp)


@pytest.mark.parametrize("target", ["/etc/passwd", "../sentinel/keep.txt", "stl"])
def test_symlink_entries_are_refused(target, sandbox):
    """An entry whose Unix mode is a symbolic link is refused, whatever it points to."""
    temp, _ = sandbox
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in _good_entries().items():
            archive.writestr(name, content)
        link = zipfile.ZipInfo("stl/link.stl")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, target)
    _refused(buffer.getvalue(), "stl/link.stl", "symbolic link", temp)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [(stat.S_IFCHR | 0o666, "special file"), (stat.S_IFIFO | 0o666, "special file")],
)
def test_device_and_fifo_entries_are_refused(mode, reason, sandbox):
    """Entries marked as character devices or FIFOs are refused."""
    temp, _ = sandbox
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("parts.csv", CATALOG_CSV)
        info = zipfile.ZipInfo("stl/dev.stl")
        info.create_system = 3
        info.external_attr = mode << 16
        archive.writestr(info, b"")
    _refused(buffer.getvalue(), "stl/dev.stl", reason, temp)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("inner.zip", "nested archive (.zip)"),
        ("stl/deeper/inner.tar.gz", "nested archive (.gz)"),
        ("models.7z", "nested archive (.7z)"),
        ("plate.3mf", "nested archive (.3mf)"),
        ("macro.xlsm", "nested archive (.xlsm)"),
        ("run.exe", "unexpected file type .exe"),
        ("install.sh", "unexpected file type .sh"),
        ("plugin.py", "unexpected file type .py"),
        ("model.pkl", "unexpected file type .pkl"),
        ("data.npy", "unexpected file type .npy"),
        ("page.html", "unexpected file type .html"),
        ("Makefile", "unexpected file type (no suffix)"),
    ],
)
def test_nested_archives_and_unexpected_types_are_refused(entry, reason, sandbox):
    """Archives inside the archive and file types a catalog never needs are refused."""
    temp, _ = sandbox
    data = _zip({**_good_entries(), entry: b"PK\x03\x04 or code"})
    _refused(data, entry, reason, temp)


def test_nested_zip_disguised_as_catalog_csv_is_refused(sandbox):
    """A ZIP renamed parts.csv inside the archive is refused as a nested archive."""
    temp, _ = sandbox
    inner = _zip(_good_entries())
    with pytest.raises(CatalogError, match="nested archive, not a catalog table"):
        load_catalog(_zip({"parts.csv": inner}), name="upload.zip")
    assert list(temp.iterdir()) == []


def test_one_level_xlsx_inside_the_zip_is_fine(sandbox):
    """An XLSX (itself a ZIP) at the top of the archive is one level: accepted."""
    temp, _ = sandbox
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in CATALOG_CSV.decode().splitlines():
        sheet.append(row.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = _zip({"parts.xlsx": buffer.getvalue(), "stl/bracket.stl": STL})
    with load_catalog(data, name="upload.zip") as catalog:
        assert catalog.part_ids == ["P-1", "P-2"]
        assert catalog.parts[0].stl_path.is_relative_to(temp)
    assert list(temp.iterdir()) == []


def test_too_many_entries_refused_before_writing(sandbox):
    """MAX_ZIP_ENTRIES + 1 entries (even empty ones) are refused, nothing written."""
    temp, _ = sandbox
    entries = {f"stl/p{i}.stl": b"" for i in range(MAX_ZIP_ENTRIES)}
    entries["parts.csv"] = CATALOG_CSV
    with pytest.raises(CatalogError, match=f"{MAX_ZIP_ENTRIES + 1} entries, more than"):
        load_catalog(_zip(entries, compression=zipfile.ZIP_STORED), name="many.zip")
    assert list(temp.iterdir()) == []


def _patch_sizes(data: bytes, size: int) -> bytes:
    """Rewrite the declared uncompressed size of every entry (central + local)."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (start := patched.find(signature, start)) >= 0:
            struct.pack_into("<I", patched, start + offset, size)
            start += 4
    return bytes(patched)


def test_declared_total_past_the_cap_is_refused_unread(sandbox):
    """Entries declaring more than MAX_UNCOMPRESSED_BYTES in total are refused unread."""
    temp, _ = sandbox
    share = MAX_UNCOMPRESSED_BYTES // 3 + 1
    entries = {f"stl/p{i}.stl": b"x" for i in range(3)} | {"parts.csv": CATALOG_CSV}
    data = _patch_sizes(_zip(entries), share)
    with pytest.raises(CatalogError, match=f"more than the {MAX_UNCOMPRESSED_BYTES}"):
        load_catalog(data, name="bomb.zip")
    assert list(temp.iterdir()) == []


def test_lying_declared_size_stops_while_reading(sandbox):
    """An entry declaring 100 bytes but inflating to 50 MB stops early and is refused."""
    temp, _ = sandbox
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("parts.csv", CATALOG_CSV)
        archive.writestr("stl/bomb.stl", bytes(50_000_000))
    raw = buffer.getvalue()
    assert len(raw) < 200_000
    # shrink only the bomb's declared size (the second entry in both headers)
    patched = bytearray(raw)
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        position = patched.find(signature, patched.find(signature) + 4)
        struct.pack_into("<I", patched, position + offset, 100)
    with pytest.raises(CatalogError, match=re.escape("'stl/bomb.stl'")):
        load_catalog(bytes(patched), name="liar.zip")
    assert list(temp.iterdir()) == []


def test_xml_entity_bomb_in_xlsx_is_refused_quickly(sandbox):
    """An XLSX whose sheet XML holds a billion-laughs entity bomb fails fast, cleanly."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["part_id", "description", "unit_cost"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    laughs = ['<!ENTITY a0 "lollollollollollollollollollol">']
    laughs += [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)]
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [' + "".join(laughs) + "]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = bomb.encode()
            target.writestr(info.filename, content)
    with pytest.raises(CatalogError):
        load_catalog(out.getvalue(), name="laughs.xlsx")


def test_encrypted_entries_and_duplicate_names_are_refused(sandbox):
    """Encrypted entries and names that clash case-insensitively are refused."""
    temp, _ = sandbox
    data = bytearray(_zip(_good_entries()))
    for signature, offset in ((b"PK\x01\x02", 8), (b"PK\x03\x04", 6)):
        position = data.find(signature)
        struct.pack_into("<H", data, position + offset, 0x1)
    _refused(bytes(data), "parts.csv", "encrypted", temp)
    clash = _zip({**_good_entries(), "STL/Bracket.STL": STL})
    _refused(clash, "STL/Bracket.STL", "duplicate name", temp)


def test_overlong_names_and_deep_folders_fail_cleanly(sandbox):
    """A 300-character file name or 2000 nested folders give CatalogError, no litter."""
    temp, _ = sandbox
    long_name = "stl/" + "a" * 300 + ".stl"
    with pytest.raises(CatalogError, match="cannot be read"):
        load_catalog(_zip({**_good_entries(), long_name: STL}), name="long.zip")
    assert list(temp.iterdir()) == []
    deep_name = "/".join(["d"] * 2000) + "/x.stl"
    with pytest.raises(CatalogError, match="cannot be read"):
        load_catalog(_zip({**_good_entries(), deep_name: STL}), name="deep.zip")
    assert list(temp.iterdir()) == []


def test_stl_cells_cannot_reach_outside_the_extraction(sandbox):
    """stl_file cells with .. or absolute paths resolve only inside the archive."""
    _, sentinel = sandbox
    (sentinel / "secret.stl").write_bytes(STL)
    table = (
        "part_id,description,unit_cost,annual_demand,lead_time_days,stl_file\n"
        f"P-1,a,1,1,1,../sentinel/secret.stl\nP-2,b,1,1,1,{sentinel / 'secret.stl'}\n"
        "P-3,c,1,1,1,../../../../etc/passwd\n"
    ).encode()
    with load_catalog(_zip({"parts.csv": table}), name="up.zip") as catalog:
        assert [p.stl_path for p in catalog.parts] == [None, None, None]
        assert sum("not found" in w for w in catalog.warnings) == 3
    (sentinel / "secret.stl").unlink()


def test_nothing_is_executed_or_imported(sandbox, monkeypatch):
    """Allowed text entries (.py is refused; .json/.yaml/.ini are only stored) run nothing."""
    import builtins
    import pickle
    import subprocess

    def forbidden(*args, **kwargs):
        raise AssertionError("the import executed or unpickled something")

    for module, attribute in (
        (pickle, "loads"),
        (pickle, "load"),
        (subprocess, "Popen"),
        (os, "system"),
        (builtins, "exec"),
        (builtins, "eval"),
    ):
        monkeypatch.setattr(module, attribute, forbidden)
    entries = _good_entries() | {
        "notes.yaml": b"!!python/object/apply:os.system ['touch pwned']",
        "profile.ini": b"post_process = rm -rf /\n",
        "scenario.json": b'{"__reduce__": "os.system"}',
        "README.md": b"`rm -rf /`",
    }
    with load_catalog(_zip(entries), name="up.zip") as catalog:
        assert catalog.part_ids == ["P-1", "P-2"]
    monkeypatch.undo()


def test_catalog_cleanup_and_context_manager(sandbox):
    """A ZIP catalog owns its extraction folder; cleanup/with removes it, once."""
    temp, _ = sandbox
    catalog = load_catalog(_zip(_good_entries()), name="up.zip")
    assert catalog.owns_stl_dir
    assert catalog.stl_dir.parent == temp.resolve()
    assert catalog.parts[0].stl_path.read_bytes() == STL
    catalog.cleanup()
    assert not catalog.stl_dir.exists()
    catalog.cleanup()  # idempotent
    with load_catalog(_zip(_good_entries()), name="up.zip") as inside:
        folder = inside.stl_dir
        assert folder.is_dir()
    assert not folder.exists()
    assert list(temp.iterdir()) == []


def test_cleanup_never_touches_a_callers_folder(tmp_path, sandbox):
    """For CSV catalogs stl_dir is the caller's folder: cleanup leaves it alone."""
    folder = tmp_path / "user_models"
    (folder / "stl").mkdir(parents=True)
    (folder / "stl" / "bracket.stl").write_bytes(STL)
    catalog = load_catalog(CATALOG_CSV, name="parts.csv", stl_dir=folder)
    assert not catalog.owns_stl_dir
    assert catalog.parts[0].stl_path is not None
    catalog.cleanup()
    with catalog:
        pass
    assert (folder / "stl" / "bracket.stl").read_bytes() == STL


def test_extract_dir_keeps_extractions_in_the_callers_session_folder(tmp_path, sandbox):
    """extract_dir puts the extraction below a caller-owned (session) folder."""
    temp, _ = sandbox
    session = tmp_path / "session_1"
    session.mkdir()
    catalog = load_catalog(_zip(_good_entries()), name="up.zip", extract_dir=session)
    assert catalog.stl_dir.parent == session.resolve()
    assert list(temp.iterdir()) == []
    catalog.cleanup()
    assert list(session.iterdir()) == []
    with pytest.raises(CatalogError, match="cannot create a folder"):
        load_catalog(
            _zip(_good_entries()), name="up.zip", extract_dir=session / "x" / "y"
        )


_HOSTILE_NAMES = st.one_of(
    st.text(min_size=1, max_size=30),
    st.lists(
        st.sampled_from(["..", ".", "", "stl", "a", "C:", "\\", "~", "\x00", "ü"]),
        min_size=1,
        max_size=6,
    ).map("/".join),
).map(lambda name: name + ".stl")


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(names=st.lists(_HOSTILE_NAMES, min_size=1, max_size=4))
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_property_random_entry_names_never_escape(names, sandbox):
    """Random entry names: refused with their name, or extracted inside the folder."""
    temp, _ = sandbox
    entries = {"parts.csv": CATALOG_CSV} | dict.fromkeys(names, STL)
    try:
        catalog = load_catalog(_zip(entries), name="fuzz.zip")
    except CatalogError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert "fuzz.zip" in message
        assert list(temp.iterdir()) == []
        return
    with catalog:
        root = catalog.stl_dir
        for path in root.rglob("*"):
            assert path.resolve().is_relative_to(root)
            assert not path.is_symlink()
    assert list(temp.iterdir()) == []


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    flips=st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8
    ),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_property_corrupted_archives_only_raise_catalog_error(flips, cut, sandbox):
    """Byte flips and truncation of a valid ZIP: CatalogError or a catalog, no litter."""
    temp, _ = sandbox
    data = bytearray(_zip(_good_entries()))
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    try:
        catalog = load_catalog(bytes(data), name="broken.zip")
    except CatalogError:
        assert list(temp.iterdir()) == []
        return
    assert isinstance(catalog, Catalog)
    catalog.cleanup()
    assert list(temp.iterdir()) == []
