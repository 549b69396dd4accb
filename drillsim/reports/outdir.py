"""The ``--out`` folder: who wrote it, whether this command may write into it, and all-or-nothing moves.

Every command writes a manifest (``drillsim-manifest.json``) naming the command, its inputs (file
names and SHA-256), the options that change results and the SHA-256 of every file it wrote. The
policy it enforces:

* a missing or empty folder is always fine;
* a folder whose manifest names the same command is replaced as a whole set (the previous
  set's files are removed, so two runs never mix), unless one of those files was changed after
  drillsim wrote it (a filled-in observer sheet): that needs ``--force``;
* any other non-empty folder (another command's outputs, or files drillsim did not write) is
  refused unless ``--force``.

Files are staged in a hidden ``.drillsim-tmp-*`` folder inside ``--out`` and moved into place
with a journal; the manifest is moved last and is the commit point. A clash (a file where a
folder is needed, or the reverse) is found before anything moves. If the process dies while
moving, the next command into the folder rolls the moves back from the journal, so the folder
holds either the old set or the new one. The whole command holds an exclusive lock on the
folder, so two commands never write into it at once.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from drillsim import __version__
from drillsim.errors import DrillsimError

MANIFEST = "drillsim-manifest.json"
#: Prefix of the hidden staging folders (one per command while it writes).
STAGING_PREFIX = ".drillsim-tmp-"
#: Folder where a batch keeps its finished chunks until the batch is complete (see --resume).
PARTIAL = "partial-batch"
_FILES, _BACKUP, _JOURNAL = "files", "backup", "journal.json"


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(folder: Path) -> dict | None:
    """The manifest of ``folder``, or None if it has none (or an unreadable one)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "command" in data else None


def _describe(manifest: dict) -> str:
    scen = manifest.get("inputs", {}).get("scenario", {}).get("file")
    return f"`drillsim {manifest.get('command')}`" + (f" (scenario {scen})" if scen else "")


class OutputFolder:
    """An ``--out`` folder opened for one command (see the module docstring for the policy).

    Use :func:`output_folder` to open one; :meth:`staged` to write the command's files.
    """

    def __init__(
        self, out: Path, command: str, inputs: dict, options: dict, force: bool, force_hint: bool
    ):
        self.out = out
        self.command = command
        self.inputs = inputs
        self.options = options
        self.force = force
        self.force_hint = force_hint
        self.created: Path | None = None
        self._lock_fd: int | None = None
        self.previous: dict | None = None

    # ---- opening: create, lock, recover, check the policy -------------------------------------
    def _open(self) -> None:
        out = self.out
        if out.exists() and not out.is_dir():
            raise DrillsimError(f"--out {out} exists and is not a folder; choose a folder path")
        for folder in [out, *out.parents]:  # the top-most folder this call creates, if any
            if folder.exists():
                if not folder.is_dir():
                    raise DrillsimError(f"--out: {folder} is a file, not a folder")
                break
            self.created = folder
        try:
            out.mkdir(parents=True, exist_ok=True)
            fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as err:
            raise DrillsimError(f"--out: cannot create {out}: {err.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                os.close(fd)
                raise DrillsimError(
                    f"--out {out}: another drillsim command is writing into this folder; wait "
                    "for it to finish or choose another folder"
                ) from None
            # else a filesystem without locks (some network mounts): go on unlocked
        self._lock_fd = fd
        for stale in sorted(out.glob(STAGING_PREFIX + "*")):
            recover(stale)  # left by a killed command: roll back or finish, then remove
        self.previous = read_manifest(out)
        self._check_policy()

    def _refuse(self, what: str, force_does: str = "replace them") -> None:
        hint = f", or pass --force to {force_does}" if self.force_hint else ""
        here = self.out.resolve()
        fresh = here.with_name(f"{here.name}-{self.command}") if here.name else here / self.command
        raise DrillsimError(
            f"--out {self.out} {what}; choose an empty or new folder (e.g. {fresh}){hint}. "
            "Nothing was written."
        )

    def _check_policy(self) -> None:
        if self.force:
            return
        prev = self.previous
        if prev is None:
            partial = read_manifest(self.out / PARTIAL)
            others = [p.name for p in self.out.iterdir() if p.name != PARTIAL]
            if partial is not None and not others:
                prev = partial  # only an interrupted batch is there
            elif others or partial is not None:
                shown = ", ".join(sorted(others)[:3]) + (", ..." if len(others) > 3 else "")
                self._refuse(
                    f"is not empty and was not written by drillsim ({shown})",
                    "write into it anyway (same-named files are replaced)",
                )
                return
            else:
                return
        if prev.get("command") != self.command:
            self._refuse(f"holds the outputs of {_describe(prev)}")
        for name, digest in sorted(prev.get("files", {}).items()):
            path = self.out / name
            if path.is_file() and sha256_file(path) != digest:
                self._refuse(
                    f"holds {name}, changed after {_describe(prev)} wrote it (it may hold your "
                    "own entries); copy it elsewhere first"
                )

    def close(self, ok: bool) -> None:
        """Release the lock; after a failure remove the folder again if this command created it
        and left nothing in it."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if not ok and self.created is not None and self.out.is_dir():
            if not any(self.out.iterdir()):
                for folder in [self.out, *self.out.parents]:
                    try:
                        folder.rmdir()
                    except OSError:
                        break
                    if folder == self.created:
                        break

    # ---- writing --------------------------------------------------------------------------------
    def manifest(self, files: dict[str, str]) -> dict:
        """The manifest of a complete set of ``files`` (name -> SHA-256). Deterministic: no
        times, no absolute paths, no worker counts."""
        return {
            "manifest_version": 1,
            "command": self.command,
            "status": "complete",
            "drillsim_version": __version__,
            "inputs": self.inputs,
            "options": self.options,
            "files": files,
        }

    @contextmanager
    def staged(self) -> Iterator[Path]:
        """Yield a hidden staging folder; on success move its files and the manifest into place.

        Moves are journalled and rolled back on any failure (including a name clash, found
        before anything moves), so ``--out`` then holds exactly what it held before.
        """
        tmp = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out))
        files = tmp / _FILES
        files.mkdir()
        try:
            yield files
            written = {
                p.relative_to(files).as_posix(): sha256_file(p)
                for p in sorted(files.rglob("*"))
                if p.is_file()
            }
            if MANIFEST in written:
                raise DrillsimError(f"internal: a command wrote its own {MANIFEST}")
            _write_json(files / MANIFEST, self.manifest(written))
            # the previous set goes as a whole (two runs never mix), and so does an
            # interrupted batch's partial folder: this command's set is now the complete one
            old = set((self.previous or {}).get("files", {})) | _partial_files(self.out)
            _commit(self.out, tmp, [*written, MANIFEST], sorted(old - set(written)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _partial_files(out: Path) -> set[str]:
    part = out / PARTIAL
    if not part.is_dir():
        return set()
    return {p.relative_to(out).as_posix() for p in part.rglob("*") if p.is_file()}


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _clash(out: Path, name: str) -> str | None:
    """Why ``name`` cannot be written under ``out`` (a file where a folder is needed, a folder
    where the file goes), or None."""
    parts = Path(name).parts
    for i in range(1, len(parts)):
        p = out.joinpath(*parts[:i])
        if p.exists() and not p.is_dir():
            return f"{p} is a file but {name} needs it to be a folder"
    dest = out / name
    if dest.is_dir():
        return f"{dest} is a folder where drillsim writes the file {name}"
    return None


def _commit(out: Path, tmp: Path, names: list[str], remove: list[str]) -> None:
    """Move ``tmp/files/<name>`` to ``out/<name>`` for each name (the manifest last) and move the
    files in ``remove`` aside; all or nothing."""
    clashes = [c for c in (_clash(out, n) for n in names) if c]
    if clashes:
        raise DrillsimError(
            f"--out {out}: {clashes[0]}; rename or move it and run again. Nothing was written "
            "(the folder is as it was)."
        )
    ops = [{"name": n, "new": False, "had": (out / n).is_file()} for n in remove]
    ops += [{"name": n, "new": True, "had": (out / n).exists()} for n in names]
    ops = [op for op in ops if op["new"] or op["had"]]
    created = sorted(
        {
            out.joinpath(*Path(n).parts[:i]).relative_to(out).as_posix()
            for n in names
            for i in range(1, len(Path(n).parts))
            if not out.joinpath(*Path(n).parts[:i]).exists()
        },
        key=lambda s: s.count("/"),
    )
    _write_json(tmp / (_JOURNAL + ".tmp"), {"ops": ops, "created": created})
    os.replace(tmp / (_JOURNAL + ".tmp"), tmp / _JOURNAL)  # whole or absent
    try:
        for op in ops:
            _apply(out, tmp, op)
    except BaseException:
        _rollback(out, tmp)
        raise
    for name in remove:  # prune folders the old set leaves empty
        parent = (out / name).parent
        while parent != out and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def _apply(out: Path, tmp: Path, op: dict) -> None:
    dest = out / op["name"]
    if op["had"]:
        backup = tmp / _BACKUP / op["name"]
        backup.parent.mkdir(parents=True, exist_ok=True)
        os.replace(dest, backup)
    if op["new"]:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / _FILES / op["name"], dest)


def _rollback(out: Path, tmp: Path) -> None:
    """Undo a partly applied journal: new files out, old files back, created folders gone."""
    journal = json.loads((tmp / _JOURNAL).read_text(encoding="utf-8"))
    for op in reversed(journal["ops"]):
        dest = out / op["name"]
        if op["new"] and not (tmp / _FILES / op["name"]).exists() and dest.is_file():
            dest.unlink()  # moved in: take it out again
        backup = tmp / _BACKUP / op["name"]
        if op["had"] and backup.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(backup, dest)
    for rel in reversed(journal["created"]):
        try:
            (out / rel).rmdir()
        except OSError:
            pass


def recover(stale: Path) -> None:
    """Clean up a staging folder left by a killed command.

    Killed while writing (no journal yet): just remove it. Killed while moving: roll the moves
    back, unless the manifest had already been moved into place (the commit point), then keep
    them. If the roll-back itself fails, the folder (with the old files in ``backup/``) is kept
    and the user is told where.
    """
    try:
        journal_ok = isinstance(json.loads((stale / _JOURNAL).read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        journal_ok = False  # the journal is written (atomically) before anything moves
    if journal_ok and (stale / _FILES / MANIFEST).is_file():
        try:
            _rollback(stale.parent, stale)
        except (OSError, ValueError, KeyError) as err:
            raise DrillsimError(
                f"--out {stale.parent}: a killed drillsim command left its moves half done and "
                f"they cannot be undone ({err}); the previous files are in {stale}/{_BACKUP}: "
                "move them back by hand, then delete that folder"
            ) from None
    shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def output_folder(
    out: str | os.PathLike,
    command: str,
    *,
    inputs: dict | None = None,
    options: dict | None = None,
    force: bool = False,
    force_hint: bool = True,
) -> Iterator[OutputFolder]:
    """Open ``--out`` for ``command``: create it, lock it, clean up after killed commands and
    apply the policy (raise :class:`DrillsimError` before anything is computed or written).

    Parameters
    ----------
    out : path
        The folder the user named.
    command : str
        The command writing it (``batch``, ``brief``, ...), recorded in the manifest.
    inputs : dict, optional
        Input files by role: ``{"scenario": {"file": name, "sha256": digest}, ...}``.
    options : dict, optional
        The options that change the outputs (seed, runs, engine, ...), not worker counts.
    force : bool
        Write even into a folder the policy refuses (replacing another command's outputs).
    force_hint : bool
        Whether the refusal message may suggest ``--force`` (the command has the option).
    """
    folder = OutputFolder(Path(out), command, inputs or {}, options or {}, force, force_hint)
    ok = False
    try:
        folder._open()
        yield folder
        ok = True
    finally:
        folder.close(ok)
