"""Durable batches: every finished chunk is on disk at once, so a killed batch can be resumed.

A batch writing into ``--out`` keeps its finished chunks in ``OUT/partial-batch/``: a Parquet
dataset (one ``chunk-<first run>.parquet`` per chunk, with ``run`` and every metric as columns
and the room / space / curve detail as fixed-size list columns) and a manifest
(``drillsim-manifest.json``, ``"status": "incomplete"``) holding the input digests, seed, run
count, engine and chunk size. Each chunk file is written under a temporary name, flushed to disk
and renamed, so a file there is always a whole chunk. ``--resume`` reloads the chunks whose
files are there, runs the rest, and writes the same final files as an uninterrupted batch; the
folder is removed when the final files are in place. Nothing in it is named like a final output,
so an interrupted batch never leaves a file that looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from drillsim.errors import DrillsimError
from drillsim.reports.outdir import MANIFEST, PARTIAL, read_manifest

#: What a chunk file holds, recorded in the partial batch's manifest: a batch interrupted under
#: another format is not resumed (the message says so). 2: per-exit people counts added.
CHUNK_FORMAT = 2

#: Flush each chunk file to the disk before it counts as done. A killed process loses nothing
#: either way (its writes are in the page cache); fsync also covers a power cut or kernel crash.
FSYNC = True

def _arrow(values: np.ndarray) -> pa.Array:
    """A flat Arrow array on the NumPy buffer itself.

    ``pa.array(ndarray)`` asks pandas whether the array is categorical, which imports pandas
    (~0.2 s, a fifth of a 10,000-run batch's simulation) the first time a chunk is saved; the
    values and the file bytes are the same. Booleans (bit-packed in Arrow) go through ``pa.array``.
    """
    values = np.ascontiguousarray(values).ravel()
    if values.dtype.kind not in "iuf":
        return pa.array(values)
    return pa.Array.from_buffers(
        pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)]
    )


def _to_table(first_run: int, part: dict, detail: bool) -> pa.Table:
    metrics = part["metrics"]
    n = len(next(iter(metrics.values())))
    cols = {"run": _arrow(np.arange(first_run, first_run + n, dtype=np.int64))}
    cols.update({f"metric:{k}": _arrow(np.asarray(v)) for k, v in metrics.items()})
    if detail:
        # stored in the dtypes the batch keeps them in (_Collector.COMPACT): half the bytes, and
        # the kept result is the same as from the chunk itself
        from drillsim.run.batch import _Collector

        arrays = {
            **{f"curve:{k}": (v, np.int32) for k, v in part["curves"].items()},
            # every array the collector keeps (its COMPACT list), so a resumed batch has the
            # same detail as an uninterrupted one whatever other modules add there
            **{f"detail:{k}": (part[k], dt) for k, dt in _Collector.COMPACT.items()},
        }
        for name, (v, dtype) in arrays.items():
            v = np.ascontiguousarray(v, dtype=dtype)
            if v.shape[1] == 0:  # Arrow has no zero-size lists; the collector fills (n, 0)
                continue
            cols[name] = pa.FixedSizeListArray.from_arrays(_arrow(v), v.shape[1])
    return pa.Table.from_arrays(list(cols.values()), names=list(cols))


def _from_table(table: pa.Table) -> dict:
    part: dict = {"metrics": {}, "curves": {}}
    n = table.num_rows
    for name in table.column_names:
        kind, _, key = name.partition(":")
        col = table.column(name).combine_chunks()
        if kind == "metric":
            part["metrics"][key] = col.to_numpy(zero_copy_only=False)
        elif kind in ("curve", "detail"):
            width = col.type.list_size
            v = col.flatten().to_numpy(zero_copy_only=False).reshape(n, width)
            (part["curves"] if kind == "curve" else part)[key] = v
    return part


class ChunkStore:
    """The finished chunks of one batch in ``OUT/partial-batch`` (see the module docstring).

    Parameters
    ----------
    folder : Path
        ``OUT/partial-batch``.
    n_detail : int
        Runs that keep room / space / curve detail; chunks wholly beyond it store metrics only.
    """

    def __init__(self, folder: Path, n_detail: int, fsync: bool = FSYNC):
        self.folder = folder
        self.n_detail = n_detail
        self.fsync = fsync
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future | None = None

    @staticmethod
    def _path(folder: Path, first_run: int) -> Path:
        return folder / f"chunk-{first_run:010d}.parquet"

    def has(self, first_run: int, n_runs: int) -> bool:
        """Whether chunk ``first_run`` is stored whole (its file reads back with ``n_runs`` rows)."""
        path = self._path(self.folder, first_run)
        try:
            return path.is_file() and pq.read_metadata(path).num_rows == n_runs
        except (OSError, pa.ArrowException):
            return False  # unreadable: run it again

    def load(self, first_run: int) -> dict:
        """The stored chunk, as :func:`drillsim.run.batch.run_chunk` returned it."""
        return _from_table(pq.read_table(self._path(self.folder, first_run)))

    def save(self, first_run: int, part: dict) -> None:
        """Write one finished chunk durably (temporary name, fsync, rename)."""
        final = self._path(self.folder, first_run)
        tmp = final.with_suffix(".parquet.tmp")
        table = _to_table(first_run, part, detail=first_run < self.n_detail)
        # zstd without dictionaries or statistics: the smallest and one of the cheapest of the
        # codecs measured (3.4 ms CPU per 256-run high-school chunk, ~240 kB; run_chunk ~24 ms)
        pq.write_table(
            table, tmp, compression="zstd", use_dictionary=False, write_statistics=False
        )
        if self.fsync:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, final)

    def save_soon(self, first_run: int, part: dict) -> None:
        """:meth:`save` on a background thread, so the chunk is written while the next one runs.

        Arrow's Parquet writer and ``fsync`` release the GIL, so with ``--workers 1`` the
        write (about 4 ms CPU and a disk flush per chunk) overlaps the simulation. At most one
        write is in flight: this waits for the previous one first (and raises its error).
        Call :meth:`wait` before the batch counts as done.
        """
        self.wait()
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drillsim-chunks")
        self._pending = self._writer.submit(self.save, first_run, part)

    def wait(self, raise_errors: bool = True) -> None:
        """Wait for the write :meth:`save_soon` started; raise its error unless told not to."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            pending.result()
        except BaseException:
            if raise_errors:
                raise

    def count(self) -> int:
        """Runs stored so far."""
        total = 0
        for p in self.folder.glob("chunk-*.parquet"):
            try:
                total += pq.read_metadata(p).num_rows
            except (OSError, pa.ArrowException):
                pass
        return total


def _differences(old: dict, new: dict) -> list[str]:
    """What differs between two partial-batch manifests, in words."""
    out = []
    for role, spec in sorted(new["inputs"].items()):
        was = old.get("inputs", {}).get(role, {})
        if was.get("sha256") != spec.get("sha256"):
            out.append(
                f"{spec.get('file')} changed (sha256 {str(was.get('sha256'))[:12]}… when the "
                f"batch started, {spec['sha256'][:12]}… now)"
            )
    for key, value in sorted(new["options"].items()):
        was = old.get("options", {}).get(key)
        if was != value and key == "chunk_format":
            out.append(
                f"its chunk files were written by another drillsim version (format {was or 1}, "
                f"this version reads {value})"
            )
        elif was != value:
            out.append(f"{key} was {was}, now {value}")
    return out


def open_chunk_store(
    out: Path, inputs: dict, options: dict, n_detail: int, *, resume: bool, force: bool
) -> tuple[ChunkStore, int]:
    """Open (or start) the partial batch in ``out`` for these inputs and options.

    Returns the store and the number of runs already stored. Refuses, with a message naming the
    difference and the fix, to resume a batch whose inputs or options changed, and to start over
    (without ``--resume`` or ``--force``) where an interrupted batch is waiting.
    """
    folder = out / PARTIAL
    header = {
        "manifest_version": 1,
        "command": "batch",
        "status": "incomplete",
        "note": "an interrupted batch; run the same drillsim batch command with --resume",
        "inputs": inputs,
        "options": options,
    }
    old = read_manifest(folder)
    if folder.exists() and old is not None and not force:
        store = ChunkStore(folder, n_detail)
        if not resume:
            raise DrillsimError(
                f"--out {out} holds an interrupted batch ({store.count()} of "
                f"{old.get('options', {}).get('runs', '?')} runs done); pass --resume to "
                "continue it, or --force to start over"
            )
        diff = _differences(old, header)
        if diff:
            raise DrillsimError(
                f"--resume: the interrupted batch in {out} was run with other inputs: "
                + "; ".join(diff)
                + ". Run without --resume into a new folder, or pass --force to start over."
            )
        return store, store.count()
    if folder.exists():
        shutil.rmtree(folder)  # --force, or chunks without a manifest (killed at the start)
    folder.mkdir()
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(header, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)
    return ChunkStore(folder, n_detail), 0
