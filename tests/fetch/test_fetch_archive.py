"""Raw archive: content-addressed, gzip, atomic; failures are ArchiveError and leave no partial file."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import pytest

from diplowatch.fetch import archive as archive_module
from diplowatch.fetch.archive import ArchiveError, RawArchive


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_store_is_content_addressed_and_gzipped(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    body = b"<html>article</html>"
    digest = hashlib.sha256(body).hexdigest()
    rel = archive.store(body)
    assert rel == f"{digest[:2]}/{digest[2:4]}/{digest}.gz"
    assert gzip.decompress((tmp_path / rel).read_bytes()) == body
    assert archive.load(rel) == body


def test_same_body_twice_is_one_file(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    assert archive.store(b"same") == archive.store(b"same")
    assert archive.store(b"") != archive.store(b"other")
    assert len(files_under(tmp_path)) == 3


def test_failed_replace_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Disk full at the last step: the temp file must go, and no final file may appear.
    def full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive_module.os, "replace", full)
    with pytest.raises(ArchiveError, match="No space left on device") as info:
        RawArchive(tmp_path).store(b"x" * 10_000)
    assert "\n" not in str(info.value)
    assert files_under(tmp_path) == []


def test_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(archive_module.os, "fsync", broken_fsync)
    with pytest.raises(ArchiveError, match="Input/output error"):
        RawArchive(tmp_path).store(b"payload")
    assert files_under(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_permission_error_is_archive_error(tmp_path: Path) -> None:
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(0o555)
    try:
        with pytest.raises(ArchiveError):
            RawArchive(root).store(b"payload")
        assert files_under(root) == []
    finally:
        root.chmod(0o755)


def test_permission_error_is_archive_error_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(archive_module.tempfile, "mkstemp", denied)
    with pytest.raises(ArchiveError, match="Permission denied"):
        RawArchive(tmp_path).store(b"payload")
    assert files_under(tmp_path) == []


def test_root_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(ArchiveError):
        RawArchive(blocker).store(b"payload")


def test_load_rejects_paths_outside_the_archive(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "a")
    with pytest.raises(ArchiveError):
        archive.load("../../etc/passwd")
    with pytest.raises(ArchiveError):
        archive.load("ab/cd/missing.gz")
