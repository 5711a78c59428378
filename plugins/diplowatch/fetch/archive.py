"""Raw archive: every fetched body kept on disk, gzip-compressed and content-addressed by SHA-256.

Keeping the raw bytes lets us re-parse old articles when the extractor improves, and the
content address makes storing the same page twice free. Files appear atomically (temp file
+ os.replace), so a crash or a full disk never leaves a truncated archive entry behind.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path


class ArchiveError(Exception):
    """The archive could not be written or read (one-line message)."""


class RawArchive:
    """Content-addressed store under `root`: root/ab/cd/<sha256>.gz."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @staticmethod
    def relative_path(digest: str) -> str:
        """Where a body with this SHA-256 hex digest lives, relative to the root."""
        return f"{digest[:2]}/{digest[2:4]}/{digest}.gz"

    def store(self, body: bytes) -> str:
        """Store `body`; return its path relative to the root. Raises ArchiveError on OSError."""
        digest = hashlib.sha256(body).hexdigest()
        rel = self.relative_path(digest)
        final = self.root / rel
        if final.exists():
            return rel
        tmp_name: str | None = None
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=".tmp-", suffix=".gz")
            with os.fdopen(fd, "wb") as raw:
                # mtime=0 makes the compressed bytes depend on the content only.
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                    gz.write(body)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp_name, final)
            tmp_name = None
        except OSError as exc:
            raise ArchiveError(
                f"cannot archive {digest[:12]} under {self.root}: {exc.strerror or exc}"
            ) from exc
        finally:
            if tmp_name is not None:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass
        return rel

    def load(self, rel: str) -> bytes:
        """The original body stored at `rel` (as returned by store). Raises ArchiveError."""
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ArchiveError(f"archive path escapes the archive: {rel}")
        try:
            with gzip.open(path, "rb") as fh:
                return fh.read()
        except (OSError, EOFError) as exc:
            raise ArchiveError(f"cannot read archive entry {rel}: {exc}") from exc
