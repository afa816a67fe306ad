"""Writing a whole Whoosh segment at once: the fast path of a rebuild.

Whoosh's :class:`~whoosh.writing.SegmentWriter` sends every posting through an external
sorting pool (one pickled tuple per posting, spilled to run files and merged back at commit),
then looks up the document's field length again for every posting and adds postings one
call at a time. For a rebuild that is most of the cost (``bench/README.md``, "Search").

:class:`BulkWriter` writes the *same segment* (the same terms, postings, block layout, term
infos, lengths, stored fields and columns, through Whoosh's own codec writers) from memory:
postings are appended per term as documents arrive (documents come in number order, so each
posting list is already sorted), the field lengths are kept per document, and at commit each
posting list is cut into blocks of ``blocklimit`` and handed to Whoosh's postings writer a
block at a time. Fields whose analyzer is a plain regular-expression tokenizer (the
pre-analysed fields of :func:`exchange.search.whoosh_backend.schema`) are tokenized with one
``findall``; other fields go through ``field.index()`` as in Whoosh.

A segment is held in memory until commit (roughly 15-20 bytes per posting plus the position
lists); :func:`exchange.search.whoosh_backend.WhooshIndex.rebuild` bounds the documents per
segment. It only writes new documents into a new segment: no deletions, no merging of
existing segments, no spelling or term vectors (refused up front).
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
import zlib
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import count, repeat
from pickle import dumps

import numpy as np
from whoosh import index as whoosh_index
from whoosh.analysis.tokenizers import RegexTokenizer
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

__all__ = ["BulkWriter", "build", "codec"]


def codec() -> W3Codec:
    """The codec of the segments Exchange writes: Whoosh's, posting blocks not compressed.

    Whoosh compresses every posting block with zlib by default, which on this project's
    machines cost more than the rest of writing the block (``bench/README.md``, "Search");
    the blocks are small pickles of numbers that compress little. A reader finds the
    compression of each block in the block itself, so segments written either way can be
    read together.
    """
    return W3Codec(compression=0)


_FREQ_BYTES = [pack_uint(n) for n in range(256)]
#: Postings turned into Python lists at a time when a segment is written.
CHUNK = 1 << 18


def _freq_bytes(n: int) -> bytes:
    return _FREQ_BYTES[n] if n < 256 else pack_uint(n)


def _positions_value(poslist: list[int]) -> bytes:
    """``Positions.encode``: the count, then the pickled position deltas."""
    deltas = []
    base = 0
    for pos in poslist:
        deltas.append(pos - base)
        base = pos
    return pack_uint(len(deltas)) + dumps(deltas, 2)


class _FieldPostings:
    """The postings of one field, in the order they were added (document order).

    Per posting: a term number (from ``numbers``, which maps term bytes to a number), the
    document number, the term's frequency and, for a positional field, the encoded
    positions. Weights and the encoded frequency are derived from the frequency when
    written, as Whoosh's formats derive them.
    """

    __slots__ = ("docs", "freqs", "lengths", "terms", "values")

    def __init__(self):
        self.terms = array("q")
        self.docs = array("I")
        self.freqs = array("I")
        self.values: list[bytes] = []
        # Per document, its length in this field as the segment's lengths column returns it.
        self.lengths = array("I")


class BulkWriter(SegmentWriter):
    """A :class:`SegmentWriter` for a new segment of new documents, postings kept in memory.

    Supports fields whose format is Whoosh's ``Existence``, ``Frequency`` or ``Positions``
    (every field of Exchange's schema) and no per-document boosts or ``_stored_`` values.
    """

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        if self.segments:
            self.cancel()
            raise ValueError("BulkWriter writes into an empty index only")
        self._fields: dict[str, _FieldPostings] = {}
        self._fast: dict[str, bool] = {}
        for name, fieldobj in self.schema.items():
            if fieldobj.vector or fieldobj.separate_spelling():
                self.cancel()
                raise ValueError(f"BulkWriter does not write vectors or spelling ({name})")
            if fieldobj.indexed:
                if type(fieldobj.format) not in (Existence, Frequency, Positions):
                    self.cancel()
                    raise ValueError(f"BulkWriter does not write the format of {name}")
                self._fields[name] = _FieldPostings()
                ana = fieldobj.analyzer
                self._fast[name] = (
                    type(ana) is RegexTokenizer and not ana.gaps and not ana.expression.groups
                )
        # Term bytes -> a number, for every field; numbers are unique, not consecutive.
        self._numbers: dict[bytes, int] = {}
        self._counter = count()
        self.postings = 0

    def _index(self, fieldname: str, fieldobj, value, docnum: int) -> int:
        """Add the field's postings for ``docnum``; return the sum of term frequencies.

        Gives the terms, frequencies and positions of ``fieldobj.index(value)``: a plain
        regular-expression tokenizer numbers its tokens 0, 1, 2 ... in order, as here.
        """
        postings = self._fields[fieldname]
        fmt = fieldobj.format
        if self._fast[fieldname] and isinstance(value, str):
            words = fieldobj.analyzer.expression.findall(value)
            if type(fmt) is Positions:
                poses: dict[str, list[int]] = {}
                for pos, word in enumerate(words):
                    found = poses.get(word)
                    if found is None:
                        poses[word] = [pos]
                    else:
                        found.append(pos)
                terms = list(poses)
                freqs = list(map(len, poses.values()))
                postings.values.extend(map(_positions_value, poses.values()))
            else:
                counts = Counter(words)
                terms = list(counts)
                freqs = list(counts.values()) if type(fmt) is Frequency else [1] * len(counts)
            keys = [word.encode("utf-8") for word in terms]
        else:
            keys, freqs = [], []
            boost = fmt.field_boost
            for tbytes, freq, weight, vbytes in fieldobj.index(value):
                if type(fmt) is Existence:
                    freq = 1
                # The weights and values written are derived from the frequency.
                if weight != float(freq) * boost:
                    raise ValueError(f"BulkWriter: unexpected weight in {fieldname}")
                keys.append(tbytes)
                freqs.append(freq)
                if type(fmt) is Positions:
                    postings.values.append(vbytes)
        postings.terms.extend(map(self._numbers.setdefault, keys, self._counter))
        postings.docs.extend(repeat(docnum, len(keys)))
        postings.freqs.extend(freqs)
        self.postings += len(keys)
        return sum(freqs) if fieldobj.scorable else 0

    def add_document(self, **fields):
        """As :meth:`SegmentWriter.add_document`, with the postings kept in memory."""
        self._check_state()
        if any(name.startswith("_") for name in fields):
            raise ValueError("BulkWriter takes no boosts or _stored_ values")
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        added = []
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    postings = self._fields[fieldname]
                    added.append((postings, len(postings.terms), len(postings.values)))
                    length = self._index(fieldname, field, value, docnum)
                    if length:
                        # What the segment's lengths column gives back (one byte, approximate).
                        lengths = postings.lengths
                        if len(lengths) < docnum:
                            lengths.extend(repeat(0, docnum - len(lengths)))
                        lengths.append(byte_to_length(length_to_byte(length)))
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            for postings, size, values in added:  # forget this document's postings
                del postings.terms[size:], postings.docs[size:], postings.freqs[size:]
                del postings.values[values:], postings.lengths[docnum:]
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def update_document(self, **fields):
        raise NotImplementedError("BulkWriter only adds documents to a new segment")

    def delete_document(self, docnum, delete=True):
        raise NotImplementedError("BulkWriter only adds documents to a new segment")

    def add_reader(self, reader):
        raise NotImplementedError("BulkWriter only adds documents to a new segment")

    def commit(self, mergetype=None, optimize=None, merge=None):
        # Nothing to merge: the index was empty when the writer opened.
        super().commit(merge=False)

    def finish_segment(self):
        """Write the segment's files and return the segment, without committing the index.

        For :func:`build`, which commits several segments at once. The temporary folder,
        which every writer of the index shares, is left to the committing writer.
        """
        self._check_state()
        segment = self._finalize_segment()
        self.is_closed = True
        return segment

    def abandon(self):
        """Close without writing or committing (the temporary folder is left as above)."""
        if not self.is_closed:
            self._close_segment()
            self.is_closed = True

    def commit_segments(self, segments: list) -> None:
        """Commit ``segments`` (written by other writers of this index), in this order, as
        the index's segments; this writer adds none of its own."""
        self._check_state()
        if self._added:
            raise ValueError("commit_segments() is for a writer that added no documents")
        self._close_segment()
        self._commit_toc(list(segments))
        self._finish()

    def _flush_segment(self):
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        names = {number: tbytes for tbytes, number in self._numbers.items()}
        self._numbers.clear()
        for fieldname in sorted(self._fields):
            postings = self._fields[fieldname]
            if not len(postings.terms):
                continue
            fieldobj = self.schema[fieldname]
            # Sort the postings by term bytes (the order of the terms table); the sort is
            # stable, so each term's postings stay in document order.
            numbers, inverse = np.unique(
                np.frombuffer(postings.terms, dtype=np.int64), return_inverse=True
            )
            names_here = [names[number] for number in numbers.tolist()]
            rank = np.empty(len(numbers), dtype=np.int64)
            rank[sorted(range(len(names_here)), key=names_here.__getitem__)] = np.arange(
                len(numbers)
            )
            by_term = rank[inverse.reshape(-1)]
            order = np.argsort(by_term, kind="stable")
            bounds = np.flatnonzero(np.diff(by_term[order], prepend=-1)).tolist()
            bounds.append(len(order))
            tbytes_in_order = sorted(names_here)
            del numbers, inverse, names_here, rank, by_term
            docs = np.frombuffer(postings.docs, dtype=np.uint32)[order]
            freqs = np.frombuffer(postings.freqs, dtype=np.uint32)[order]
            fmt = fieldobj.format
            fixed = fmt.fixed_value_size()
            lengths = None
            if fieldobj.scorable:
                lengths = np.zeros(self.docnum, dtype=np.uint32)
                lengths[: len(postings.lengths)] = np.frombuffer(postings.lengths, dtype=np.uint32)
            fieldwriter.start_field(fieldname, fieldobj)
            term = _TermWriter(fieldwriter, fixed)
            # Whole terms at a time, about CHUNK postings: as Python lists while written.
            first_term = 0
            while first_term < len(tbytes_in_order):
                start = bounds[first_term]
                last_term = bisect_right(bounds, start + CHUNK, first_term + 1) - 1
                last_term = max(last_term, first_term + 1)
                end = bounds[last_term]
                chunk_docs = docs[start:end]
                chunk_freqs = freqs[start:end]
                # Whoosh's formats: weight = frequency * field boost (a double, kept as float).
                weights = chunk_freqs.astype(np.float64) * fmt.field_boost
                if fixed is None:  # positions: the encoded values as added
                    values = list(map(postings.values.__getitem__, order[start:end].tolist()))
                elif fixed:  # frequency: the encoded frequency
                    values = list(map(_freq_bytes, chunk_freqs.tolist()))
                else:  # existence: no values
                    values = None
                columns = (
                    chunk_docs.tolist(),
                    weights.tolist(),
                    weights.astype(np.float32).tolist(),
                    values,
                    lengths[chunk_docs].tolist() if lengths is not None else None,
                )
                for t in range(first_term, last_term):
                    term.write(
                        tbytes_in_order[t], bounds[t] - start, bounds[t + 1] - start, *columns
                    )
                first_term = last_term
            fieldwriter.finish_field()
            self._fields[fieldname] = _FieldPostings()
        self.fieldwriter.close()


class _TermWriter:
    """Writes a term's posting list and term info for a :class:`W3FieldWriter`'s field.

    The bytes are those of ``start_term()``, ``add()`` for each posting and ``finish_term()``
    (``W3PostingsWriter``: blocks of ``blocklimit`` postings, each a pickled info tuple and a
    pickled data tuple; ``W3TermInfo`` in the terms table), computed for a whole list at once.
    ``tests/search/test_rebuild.py`` compares the files with those of Whoosh's own writer.
    """

    def __init__(self, fieldwriter, fixed_value_size):
        postwriter = fieldwriter._postwriter
        self.limit = postwriter._blocklimit
        self.compression = postwriter._compression
        if postwriter._inlinelimit > 1:
            raise ValueError("BulkWriter does not inline postings")
        self.postfile = fieldwriter._postfile.raw_file()
        self.tindex = fieldwriter._tindex
        self.prefix = pack_ushort(fieldwriter._fieldid)
        self.fixed = fixed_value_size

    def write(self, tbytes, start, end, docs, w64, w32, values, lengths) -> None:
        postfile = self.postfile
        write = postfile.write
        fixed = self.fixed
        comp = self.compression
        info = W3TermInfo()
        offset = postfile.tell()
        write(WHOOSH3_HEADER_MAGIC)
        for first in range(start, end, self.limit):
            last = min(first + self.limit, end)
            ids = docs[first:last]
            weights = w32[first:last]
            # W3TermInfo.add_block() and the block statistics of add_posting().
            if lengths is None:
                minlength, maxlength = None, 0
            else:
                block_lengths = lengths[first:last]
                minlength, maxlength = min(block_lengths), max(block_lengths)
                if info._minlength is None:
                    info._minlength = minlength
                else:
                    info._minlength = min(info._minlength, minlength)
                info._maxlength = max(info._maxlength, maxlength)
            maxweight = max(w64[first:last])
            if not maxweight > 0:
                maxweight = 0
            info._weight += sum(weights)
            info._df += len(ids)
            info._maxweight = max(info._maxweight, maxweight)
            if info._minid is None:
                info._minid = ids[0]
            info._maxid = ids[-1]
            # W3PostingsWriter._write_block(): _mini_ids(), _mini_weights(), _mini_values().
            deltas = tuple([b - a for a, b in zip([0, *ids], ids, strict=False)])
            if weights.count(1.0) == len(weights):
                mini_weights = None
            elif weights.count(weights[0]) == len(weights):
                mini_weights = weights[0]
            else:
                mini_weights = tuple(weights)
            if fixed is None:
                mini_values = tuple(values[first:last])
            elif fixed:
                mini_values = b"".join(values[first:last])
            else:
                mini_values = None
            data = dumps((deltas, mini_weights, mini_values), 2)
            if comp:
                data = zlib.compress(data, comp)
            block_info = dumps(
                (
                    len(ids),
                    ids[-1],
                    maxweight,
                    comp,
                    length_to_byte(minlength),
                    length_to_byte(maxlength),
                ),
                2,
            )
            size = len(block_info) + len(data)
            write(pack_int(-size if last == end else size))
            write(block_info)
            write(data)
        info.set_extent(offset, postfile.tell() - offset)
        self.tindex.add(self.prefix + tbytes, info.to_bytes())


# --- Building a whole index ----------------------------------------------------------------


def _ranges(batches: Iterable[list], size: int) -> Iterator[tuple[int, list]]:
    """(range number, items) for consecutive ranges of ``size`` items, in order."""
    position = 0
    for batch in batches:
        start = 0
        while start < len(batch):
            number = position // size
            chunk = batch[start : start + (number + 1) * size - position]
            yield number, chunk
            position += len(chunk)
            start += len(chunk)


def _write_range(writer: BulkWriter, chunk: list, fields_of: Callable) -> None:
    for doc, extra in chunk:
        writer.add_document(**fields_of(doc, extra))


def build(
    folder: str,
    batches: Iterable[list[tuple]],
    fields_of: Callable,
    *,
    procs: int = 1,
    range_size: int = 50_000,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Write every item of ``batches`` into the empty index in ``folder``; return the count.

    Each item is ``(document, extra)`` and becomes the fields ``fields_of(document, extra)``.
    Consecutive ranges of ``range_size`` items become one segment each, committed in order,
    so document numbers follow the order of ``batches`` whatever the number of processes.
    With ``procs`` > 1 the ranges are written by that many forked worker processes (range
    *n* by worker *n* mod ``procs``) while this process reads ``batches``; ``fields_of``
    then runs in the workers. ``progress(n)`` is called as documents are written.
    """
    ix = whoosh_index.open_dir(folder)
    committer = BulkWriter(ix, codec=codec(), compound=False)
    try:
        if procs <= 1:
            segments, count = _build_here(ix, batches, fields_of, range_size, progress)
        else:
            segments, count = _build_forked(folder, batches, fields_of, procs, range_size, progress)
    except BaseException:
        committer.cancel()
        raise
    committer.commit_segments([segment for _number, segment in sorted(segments)])
    return count


def _new_writer(ix) -> BulkWriter:
    # The committing writer holds the index's lock; range writers do not take it.
    return BulkWriter(ix, _lk=False, codec=codec(), compound=False)


def _build_here(ix, batches, fields_of, range_size, progress):
    segments: list[tuple[int, object]] = []
    writer, current, count = None, None, 0
    try:
        for number, chunk in _ranges(batches, range_size):
            if number != current:
                if writer is not None:
                    segments.append((current, writer.finish_segment()))
                writer, current = _new_writer(ix), number
            _write_range(writer, chunk, fields_of)
            count += len(chunk)
            if progress is not None:
                progress(len(chunk))
        if writer is not None:
            segments.append((current, writer.finish_segment()))
    except BaseException:
        if writer is not None:
            writer.abandon()
        raise
    return segments, count


def _worker(folder: str, fields_of: Callable, jobs, results, wid: int) -> None:
    writer = None
    try:
        ix = whoosh_index.open_dir(folder)
        segments: list[tuple[int, object]] = []
        current = None
        while (job := jobs.get()) is not None:
            number, chunk = job
            if number != current:
                if writer is not None:
                    segments.append((current, writer.finish_segment()))
                writer, current = _new_writer(ix), number
            _write_range(writer, chunk, fields_of)
            results.put(("added", wid, len(chunk)))
        if writer is not None:
            segments.append((current, writer.finish_segment()))
            writer = None
        results.put(("done", wid, segments))
    except BaseException:
        if writer is not None:
            writer.abandon()
        results.put(("error", wid, traceback.format_exc()))
        raise SystemExit(1) from None


class WorkerError(RuntimeError):
    """A worker process of :func:`build` failed."""


def _build_forked(folder, batches, fields_of, procs, range_size, progress):
    # Forked, not spawned: the workers need nothing but Whoosh and ``fields_of``, and start
    # in milliseconds. They are started before anything is queued, so no queue thread of
    # this process exists yet when they fork.
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    jobs = [context.Queue() for _ in range(procs)]
    workers = [
        context.Process(
            target=_worker,
            args=(folder, fields_of, jobs[wid], results, wid),
            name=f"exchange-reindex-{wid}",
            daemon=True,
        )
        for wid in range(procs)
    ]
    for worker in workers:
        worker.start()
    segments: list[tuple[int, object]] = []
    done: set[int] = set()

    def handle(message) -> None:
        kind, wid, value = message
        if kind == "added":
            if progress is not None:
                progress(value)
        elif kind == "done":
            segments.extend(value)
            done.add(wid)
        else:
            raise WorkerError(f"reindex worker {wid} failed:\n{value}")

    count = 0
    try:
        for number, chunk in _ranges(batches, range_size):
            jobs[number % procs].put((number, chunk))
            count += len(chunk)
            while True:
                try:
                    handle(results.get_nowait())
                except queue.Empty:
                    break
        for job_queue in jobs:
            job_queue.put(None)
        while len(done) < procs:
            try:
                handle(results.get(timeout=1.0))
            except queue.Empty:
                for wid, worker in enumerate(workers):
                    if wid not in done and worker.exitcode is not None:
                        raise WorkerError(
                            f"reindex worker {wid} exited ({worker.exitcode})"
                        ) from None
        for worker in workers:
            worker.join()
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        for worker in workers:
            worker.join()
        raise
    finally:
        for job_queue in [*jobs, results]:
            job_queue.close()
            job_queue.cancel_join_thread()
    return segments, count
