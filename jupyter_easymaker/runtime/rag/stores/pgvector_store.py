"""The PostgreSQL store (pgvector): everything of a RAG in the user's database,
under names made from its namespace (``em_rag_<namespace>``):

    em_rag_<ns>          the generations: number, dimension, published, chunks,
                         manifest, and the BM25 index of each (bytea, written at publish)
    em_rag_<ns>_g<n>     the chunks of generation n: pos, file, chunk, text, embedding vector(dim)
                         with an HNSW index (vector_ip_ops) once it holds HNSW_FROM chunks

A table per generation rather than one table with a ``generation`` column:
its HNSW index is built once over the bulk-loaded rows (far faster than
inserting into a live graph row by row), a search never has the other
generation's rows filtered out of its candidates (which costs recall and
latency during every build), and dropping a generation is a DROP TABLE
with nothing left to vacuum. The live generation is the newest published
one; publishing sets that flag in one transaction.

Keyword search is BM25 (``bm25s``, as in the faiss store) rather than
PostgreSQL full text: on BEIR SciFact, nDCG@10 is 0.686 for bm25s, 0.37 for
``ts_rank_cd`` with the 'english' configuration and 0.13 with 'simple' (the
one that keeps Korean), and ranking every OR-matched row took 30-100 ms a
question at only 5,183 documents. The index is built once at publish and
stored with the generation, so a query server loads it instead of
re-tokenising every chunk; the hits' texts come from the chunks table."""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from jupyter_easymaker.runtime.rag.stores.base import (
    BUSY,
    Chunk,
    Hit,
    StoreError,
    build_keyword_index,
    checked_vectors,
    search_depth,
)
from jupyter_easymaker.runtime.rag.stores.keyword import KeywordIndex

HNSW_FROM = 5_000  # below, an exact sequential scan is as fast (at 5,000: 2.1 ms a question vs 1.8 ms; 6 ms at 10,000)
# pgvector's default graph (m=16, ef_construction=64) with ef_search 128, measured against exact
# search with the 300 SciFact claims as questions (MiniLM vectors): recall@10 0.996 and recall@50
# 0.988 (hybrid's depth) on 27,986 real passage vectors; 0.952 on 100,000 harder vectors (sums of
# three passages' vectors). m=32, ef_construction=80 (the faiss store's graph) reach 0.988 there,
# but double the build (124 s vs 60 s at 100,000 on 2 shared cores) and the question's time
# (p50 12 ms vs 5 ms; the faiss store answers in ~1 ms either way), so the defaults stay.
# ef_search must exceed k (at 40 it returned only 40 of 50 rows: recall@50 0.79): it grows as 2k.
HNSW_OPTIONS = "m = 16, ef_construction = 64"
HNSW_BUILD_MEMORY = "1GB"  # the graph of 100,000 x 384 fits: a build that spills to disk is several times slower
EF_SEARCH = 128
EF_SEARCH_MAX = 1_000  # pgvector's limit
COPY_BATCH = 2_000  # rows per binary COPY message
NAME_PART = 24  # characters of the namespace kept in table names (identifiers stop at 63 bytes)
T = TypeVar("T")


def table_prefix(namespace: str) -> str:
    """``em_rag_<namespace>`` when the namespace is short lowercase letters and digits; otherwise
    what is left of those, cut, plus a hash of the whole (distinct namespaces never share tables)."""
    if not namespace:
        raise StoreError("a pgvector store needs a namespace (the RAG's id)")
    clean = re.sub(r"[^a-z0-9]", "", namespace.lower())
    if clean == namespace and len(clean) <= NAME_PART:
        return f"em_rag_{clean}"
    return f"em_rag_{clean[:NAME_PART]}_{hashlib.sha256(namespace.encode()).hexdigest()[:8]}"


def place(url: str) -> str:
    """``host:port/dbname`` of a connection URL: what messages name (never the user's password)."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(url)
        host, port, db = info.get("host") or "localhost", info.get("port"), info.get("dbname") or ""
    except Exception:  # noqa: BLE001 - a malformed URL still gets a best-effort name
        try:
            parts = urlsplit(url)
            host, port, db = parts.hostname or "localhost", parts.port, parts.path.lstrip("/")
        except ValueError:
            return "an unparsable URL"
    return f"{host}{':' + str(port) if port else ''}/{db}"


def passwords(url: str) -> set[str]:
    """What may be the URL's password, also when the URL is malformed: the text between the
    user's ':' and the first or the last '@', as written, decoded and encoded."""
    found = set()
    with contextlib.suppress(ValueError):
        found.add(urlsplit(url).password or "")
    rest = url.split("://", 1)[-1]
    for userinfo in (rest.split("@", 1)[0], rest.rsplit("@", 1)[0]) if "@" in rest else ():
        found.add(userinfo.split(":", 1)[1] if ":" in userinfo else "")
    return {form for secret in found if secret for form in (secret, unquote(secret), quote(secret, safe=""))}


def scrub(message: str, url: str) -> str:
    """``message`` with anything that may be the URL's password replaced by ***."""
    for secret in sorted(passwords(url), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message.strip()[:400]


def vector_literal(vector: Any) -> str:
    import numpy as np

    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).ravel().tolist())) + "]"


def copy_rows(first: int, chunks: list[Chunk], vectors: Any) -> Iterator[bytes]:
    """Binary COPY data for (pos, file, chunk, text, embedding): vectors go as pgvector's
    binary form (int16 dim, int16 0, big-endian float32s), with no text formatting or parsing."""
    big_endian = vectors.astype(">f4")
    vector_head = struct.pack("!ihh", 4 + 4 * vectors.shape[1], vectors.shape[1], 0)
    yield b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
    for start in range(0, len(chunks), COPY_BATCH):
        parts = []
        for offset, chunk in enumerate(chunks[start:start + COPY_BATCH], start):
            file = chunk.file.encode("utf-8")
            text = chunk.text.replace("\x00", "").encode("utf-8")  # PostgreSQL text cannot hold NUL
            parts += [struct.pack("!hiii", 5, 4, first + offset, len(file)), file,
                      struct.pack("!iii", 4, int(chunk.chunk), len(text)), text,
                      vector_head, big_endian[offset].tobytes()]
        yield b"".join(parts)
    yield struct.pack("!h", -1)


def pack_folder(folder: str) -> bytes:
    """The files of a folder as one .npz (bytes arrays, no pickle: it is read back from the database)."""
    import numpy as np

    buffer = io.BytesIO()
    arrays = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as fh:
            arrays[name] = np.frombuffer(fh.read(), dtype=np.uint8)
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def unpack_folder(blob: bytes, folder: str) -> None:
    import numpy as np

    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        for name in arrays.files:
            if os.path.basename(name) != name:
                raise StoreError(f"the stored keyword index holds an unexpected name {name!r}")
            with open(os.path.join(folder, name), "wb") as fh:
                fh.write(arrays[name].tobytes())


def keyword_blob(texts: list[str]) -> bytes:
    folder = tempfile.mkdtemp(prefix="em-bm25-")
    try:
        index = build_keyword_index(texts)
        if index.retriever is None:
            return b""
        index.save(folder)
        return pack_folder(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def keyword_index(blob: bytes | None, size: int) -> KeywordIndex:
    if not blob or not size:
        return KeywordIndex(None, 0)
    folder = tempfile.mkdtemp(prefix="em-bm25-")
    try:
        unpack_folder(blob, folder)
        return KeywordIndex.load(folder, size)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class PgvectorStore:
    kind = "pgvector"

    def __init__(self, url: str, namespace: str):
        if not url or not url.startswith(("postgresql://", "postgres://")):
            raise StoreError("a pgvector store needs a postgresql:// URL")
        self.url = url
        self.prefix = table_prefix(namespace)
        self._table = re.compile(rf"^{re.escape(self.prefix)}_g(\d+)$")
        self._conn: Any = None
        self._ef_search: int | None = None
        self._lock = threading.RLock()  # one connection, one statement at a time
        self._searcher: PgvectorSearcher | None = None

    # -- the connection ------------------------------------------------------------------
    def _connect(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10, application_name="easymaker-rag")
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {place(self.url)}: {scrub(str(exc), self.url)}") from None
        self._ef_search = None
        return conn

    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        """The connection, for this thread alone; database errors become StoreError
        and a broken connection is opened again on the next call."""
        import psycopg

        with self._lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = self._connect()
            try:
                yield self._conn
            except psycopg.Error as exc:
                if self._conn.broken:
                    self._conn.close()
                raise StoreError(f"PostgreSQL at {place(self.url)}: {scrub(str(exc), self.url)}") from exc

    def read(self, work: Callable[[Any], T]) -> T:
        """``work(connection)`` for reads, done again once on a fresh connection when the
        connection broke under it (a database restart, a proxy's idle timeout)."""
        import psycopg

        for attempt in range(2):
            try:
                with self.session() as conn:
                    return work(conn)
            except StoreError as exc:
                if attempt or not isinstance(exc.__cause__, psycopg.OperationalError) or not self._conn.closed:
                    raise
        raise AssertionError("unreachable")

    def sql(self, text: str, generation: int | None = None, other: int | None = None) -> Any:
        """``text`` with ``{meta}``, ``{chunks}`` (of ``generation``) and ``{other}`` as quoted identifiers."""
        from psycopg import sql

        names = {"meta": sql.Identifier(self.prefix)}
        if generation is not None:
            names["chunks"] = sql.Identifier(self.table(generation))
        if other is not None:
            names["other"] = sql.Identifier(self.table(other))
        return sql.SQL(text).format(**names)

    def table(self, generation: int) -> str:
        return f"{self.prefix}_g{int(generation)}"

    def _ensure_schema(self, conn: Any) -> None:
        """The vector extension and the generations table (writers only: a reader creates nothing)."""
        import psycopg

        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone() is None:
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.errors.UniqueViolation:
                pass  # created at the same moment by another connection
            except psycopg.Error as exc:
                raise StoreError(f"the pgvector extension is not installed in {place(self.url)} and this user cannot "
                                 f"create it (a superuser can: CREATE EXTENSION vector): {scrub(str(exc), self.url)}") from None
        with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            conn.execute(self.sql(
                "CREATE TABLE IF NOT EXISTS {meta} (generation integer PRIMARY KEY, dimension integer NOT NULL, "
                "published boolean NOT NULL DEFAULT false, chunks integer NOT NULL DEFAULT 0, manifest json, "
                "keyword_index bytea, created_at timestamptz NOT NULL DEFAULT now())"))

    def _query(self, conn: Any, statement: Any, params: Any = (), default: Any = None) -> Any:
        """Rows of ``statement``, or ``default`` while the generations table does not exist (nothing was ever written)."""
        import psycopg

        try:
            return conn.execute(statement, params).fetchall()
        except psycopg.errors.UndefinedTable:
            return default

    @contextlib.contextmanager
    def writing(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """A session advisory lock named after the RAG: PostgreSQL releases it when the connection ends."""
        key = "easymaker-rag:" + self.prefix
        deadline = time.monotonic() + wait_seconds
        while True:
            with self.session() as conn:
                if conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)).fetchone()[0]:
                    break
            if time.monotonic() >= deadline:
                raise StoreError(BUSY)
            time.sleep(0.2)
        try:
            yield
        finally:
            with contextlib.suppress(StoreError), self.session() as conn:
                conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))

    # -- generations ---------------------------------------------------------------------
    def live_generation(self) -> int | None:
        statement = self.sql("SELECT max(generation) FROM {meta} WHERE published")
        return self.read(lambda conn: self._query(conn, statement, default=[(None,)]))[0][0]

    def manifest(self, generation: int | None = None) -> dict[str, Any]:
        generation = self.live_generation() if generation is None else generation
        if generation is None:
            return {}
        statement = self.sql("SELECT manifest FROM {meta} WHERE generation = %s AND published")
        rows = self.read(lambda conn: self._query(conn, statement, (generation,), default=[]))
        return dict(rows[0][0] or {}) if rows else {}

    def _tables(self, conn: Any) -> dict[int, str]:
        """This store's generation tables in the current schema, whether or not the generations table names them."""
        pattern = self.prefix.replace("_", r"\_") + r"\_g%"
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE %s",
                            (pattern,)).fetchall()
        return {int(m.group(1)): name for (name,) in rows if (m := self._table.match(name))}

    def begin(self, dimension: int) -> PgvectorWriter:
        if int(dimension) <= 0:
            raise StoreError(f"a generation needs a positive dimension, not {dimension}")
        with self.session() as conn:
            self._ensure_schema(conn)
            base = self.live_generation()
            with conn.transaction():  # the generation's row and its table exist together or not at all
                newest = conn.execute(self.sql("SELECT coalesce(max(generation), 0) FROM {meta}")).fetchone()[0]
                generation = max([newest, *self._tables(conn)]) + 1
                conn.execute(self.sql("INSERT INTO {meta} (generation, dimension) VALUES (%s, %s)"), (generation, int(dimension)))
                conn.execute(self.sql(f"CREATE TABLE {{chunks}} (pos integer PRIMARY KEY, file text NOT NULL, "
                                      f"chunk integer NOT NULL, text text NOT NULL, embedding vector({int(dimension)}) NOT NULL)",
                                      generation))
        return PgvectorWriter(self, generation, int(dimension), base)

    def publish(self, generation: int, chunks: int, manifest: dict[str, Any]) -> None:
        from psycopg.types.json import Json

        with self.session() as conn:
            stored = conn.execute(self.sql("SELECT count(*) FROM {chunks}", generation)).fetchone()[0]
            if stored != chunks:
                raise StoreError(f"generation {generation} holds {stored} chunks, its writer added {chunks}")
            if stored >= HNSW_FROM:
                with conn.transaction():  # SET LOCAL: the build's memory ends with it
                    conn.execute(f"SET LOCAL maintenance_work_mem = '{HNSW_BUILD_MEMORY}'")
                    conn.execute(self.sql(f"CREATE INDEX ON {{chunks}} USING hnsw (embedding vector_ip_ops) WITH ({HNSW_OPTIONS})",
                                          generation))
            texts = [text for (text,) in conn.execute(self.sql("SELECT text FROM {chunks} ORDER BY pos", generation))]
            blob = keyword_blob(texts)
            del texts
            conn.execute(self.sql("ANALYZE {chunks}", generation))
            conn.execute(self.sql("UPDATE {meta} SET keyword_index = %b WHERE generation = %s"), (blob, generation))
            with conn.transaction():
                conn.execute(self.sql("LOCK TABLE {meta} IN SHARE ROW EXCLUSIVE MODE"))  # one publisher at a time; readers go on
                live = conn.execute(self.sql("SELECT max(generation) FROM {meta} WHERE published")).fetchone()[0]
                if live is not None and live >= generation:
                    raise StoreError(f"generation {generation} cannot replace the newer live generation {live}")
                updated = conn.execute(self.sql("UPDATE {meta} SET published = true, chunks = %s, manifest = %s "
                                                "WHERE generation = %s AND NOT published"),
                                       (stored, Json(manifest), generation)).rowcount
                if updated != 1:
                    raise StoreError(f"generation {generation} was discarded while it was being built")
            for old in sorted({*self._generations(conn), *self._tables(conn)}):  # readers follow on their next question
                if old < generation:
                    self.drop(old)

    def _generations(self, conn: Any) -> list[int]:
        return [g for (g,) in self._query(conn, self.sql("SELECT generation FROM {meta}"), default=[])]

    def drop(self, generation: int) -> None:
        with self.session() as conn:
            has_meta = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (self.sql("{meta}").as_string(conn),)).fetchone()[0]
            with conn.transaction():  # (an error inside would roll the DROP back too: nothing here may fail quietly)
                conn.execute(self.sql("DROP TABLE IF EXISTS {chunks}", generation))
                if has_meta:
                    conn.execute(self.sql("DELETE FROM {meta} WHERE generation = %s"), (generation,))

    def searcher(self) -> PgvectorSearcher | None:
        for _ in range(5):
            live = self.live_generation()
            if live is None:
                self._searcher = None
                return None
            current = self._searcher
            if current is not None and current.generation == live:
                return current
            statement = self.sql("SELECT dimension, chunks, keyword_index FROM {meta} WHERE generation = %s AND published")
            row = self.read(lambda conn: conn.execute(statement, (live,), binary=True).fetchone())  # noqa: B023
            if row is not None:  # else replaced and dropped meanwhile: follow the newest again
                self._searcher = PgvectorSearcher(self, live, row[0], row[1], keyword_index(row[2], row[1]))
                return self._searcher
        raise StoreError("the live generation changed five times while loading it")

    def set_ef_search(self, conn: Any, depth: int) -> None:
        wanted = min(max(EF_SEARCH, 2 * depth), EF_SEARCH_MAX)  # HNSW returns at most ef_search rows
        if self._ef_search != wanted:
            conn.execute(f"SET hnsw.ef_search = {int(wanted)}")
            self._ef_search = wanted

    def discard_unpublished(self) -> int:
        live = self.live_generation()
        with self.session() as conn:
            stale = {*self._generations(conn), *self._tables(conn)} - {live}
        for generation in sorted(stale):
            self.drop(generation)
        return len(stale)

    def destroy(self) -> None:
        with self.session() as conn:
            for generation in sorted({*self._generations(conn), *self._tables(conn)}):
                conn.execute(self.sql("DROP TABLE IF EXISTS {chunks}", generation))
            conn.execute(self.sql("DROP TABLE IF EXISTS {meta}"))
        self._searcher = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._searcher = None


class PgvectorWriter:
    def __init__(self, store: PgvectorStore, generation: int, dimension: int, base: int | None):
        self.store = store
        self.generation = generation
        self.dimension = dimension
        self.base = base
        self.chunks = 0
        self._kept: set[str] = set()
        self._done = False

    def _check_open(self) -> None:
        if self._done:
            raise StoreError(f"generation {self.generation} is already published or aborted")

    def keep(self, files: list[str]) -> int:
        self._check_open()
        wanted = sorted(set(files) - self._kept)
        if self.base is None or not wanted:
            return 0
        store = self.store
        with store.session() as conn:
            row = conn.execute(store.sql("SELECT dimension FROM {meta} WHERE generation = %s"), (self.base,)).fetchone()
            if row is None:
                raise StoreError(f"the base generation {self.base} is gone (another ingestion replaced it)")
            if row[0] != self.dimension:
                raise StoreError(f"the live generation's vectors have {row[0]} dimensions, not {self.dimension}")
            copied = conn.execute(store.sql(
                "INSERT INTO {chunks} (pos, file, chunk, text, embedding) "
                "SELECT %s + row_number() OVER (ORDER BY pos) - 1, file, chunk, text, embedding "
                "FROM {other} WHERE file = ANY(%s)", self.generation, self.base), (self.chunks, wanted)).rowcount
        self._kept.update(wanted)
        self.chunks += copied
        return copied

    def add(self, chunks: list[Chunk], vectors: Any) -> None:
        self._check_open()
        array = checked_vectors(chunks, vectors, self.dimension)
        if not chunks:
            return
        store = self.store
        statement = store.sql("COPY {chunks} (pos, file, chunk, text, embedding) FROM STDIN (FORMAT BINARY)", self.generation)
        with store.session() as conn, conn.cursor() as cur, cur.copy(statement) as copy:
            for data in copy_rows(self.chunks, chunks, array):
                copy.write(data)
        self.chunks += len(chunks)

    def publish(self, manifest: dict[str, Any]) -> None:
        self._check_open()
        self.store.publish(self.generation, self.chunks, manifest)
        self._done = True

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        with contextlib.suppress(StoreError):  # unreachable now: the next ingestion's discard_unpublished removes it
            self.store.drop(self.generation)


class PgvectorSearcher:
    def __init__(self, store: PgvectorStore, generation: int, dimension: int, chunks: int, keywords: KeywordIndex):
        self.store = store
        self.generation = generation
        self.dimension = dimension
        self.chunks = chunks
        self.keywords = keywords

    def _newer(self) -> PgvectorSearcher | None:
        """The store's searcher when this generation was dropped under a question (a newer one was published)."""
        fresh = self.store.searcher()
        return fresh if fresh is not None and fresh.generation != self.generation else None

    def dense(self, vector: Any, k: int) -> list[Hit]:
        import numpy as np
        import psycopg

        store = self.store
        depth = search_depth(k, self.chunks)
        question = np.asarray(vector, dtype=np.float32).ravel()
        if question.size != self.dimension:
            raise StoreError(f"the question's vector has {question.size} dimensions, the store's {self.dimension}")
        if depth == 0:
            return []
        literal = vector_literal(question)
        statement = store.sql("SELECT file, chunk, text, -(embedding <#> %(q)s::vector) FROM {chunks} "
                              "ORDER BY embedding <#> %(q)s::vector LIMIT %(k)s", self.generation)

        def nearest(conn: Any) -> list[Any]:
            store.set_ef_search(conn, depth)
            return conn.execute(statement, {"q": literal, "k": depth}).fetchall()

        try:
            rows = store.read(nearest)
        except StoreError as exc:
            if isinstance(exc.__cause__, psycopg.errors.UndefinedTable) and (newer := self._newer()):
                return newer.dense(vector, k)
            raise
        return [Hit(file, chunk, text, float(score)) for file, chunk, text, score in rows]

    def keyword(self, query: str, k: int) -> list[Hit]:
        import psycopg

        store = self.store
        depth = search_depth(k, self.chunks)
        ranked = self.keywords.search(query, depth) if depth else []
        if not ranked:
            return []
        statement = store.sql("SELECT pos, file, chunk, text FROM {chunks} WHERE pos = ANY(%s)", self.generation)
        try:
            rows = store.read(lambda conn: conn.execute(statement, ([pos for pos, _ in ranked],)).fetchall())
        except StoreError as exc:
            if isinstance(exc.__cause__, psycopg.errors.UndefinedTable) and (newer := self._newer()):
                return newer.keyword(query, k)
            raise
        found = {pos: (file, chunk, text) for pos, file, chunk, text in rows}
        return [Hit(*found[pos], score) for pos, score in ranked if pos in found]

    def count(self) -> int:
        return self.chunks
