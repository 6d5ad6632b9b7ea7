"""Engine, sessions and schema upgrades."""
from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import create_engine, event, func, inspect, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")
_UPGRADE_LOCK = threading.Lock()
# how often rows a reader follows by their version (version_query) are read whole anyway: with PostgreSQL,
# a write whose updated_at is older than another's may commit after it and leave max(updated_at) where it was
REREAD_SECONDS = 60.0
# while a reconciler's rows are settled and no event was published, how often it asks the store anyway
# (a write that published no event)
STORE_CHECK_SECONDS = 5.0
READ_ONLY = "easymaker_read_only"  # the execution option of the engine that reading() units of work use
_REFUSED_WRITE = "attempt to write a readonly database"


class WriteInRead(Exception):
    """A unit of work opened under ``Database.reading()`` tried to write: run it again without."""


def version_query(*sources: Any) -> Any:
    """One statement whose row moves whenever a row of ``sources`` is written, added or removed
    (every write sets ``updated_at``): for each source, a table or (table, criterion), how many
    rows it has and their latest ``updated_at``. A reader that polls rows asks this first and
    reads the rows again only when it moved."""
    columns = []
    for source in sources:
        table, criterion = source if isinstance(source, tuple) else (source, None)
        count, latest = select(func.count()).select_from(table), select(func.max(table.updated_at))
        if criterion is not None:
            count, latest = count.where(criterion), latest.where(criterion)
        columns += [count.scalar_subquery(), latest.scalar_subquery()]
    return select(*columns)


def sqlite_url(path: str) -> str:
    return f"sqlite:///{path}"


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for a database server or an in-memory store."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
            # a new database file is its owner's only; SQLite gives its -wal and -shm files the same mode
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            # transactions are begun below, not by the driver (whose BEGIN comes too late for SAVEPOINTs)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            # WAL: readers never block the writer; NORMAL sync is durable across process kills
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):  # noqa: ANN001
            # A unit of work that reads, then writes must not find, at its first write, that another
            # thread committed since its read (WAL answers that at once with "database is locked"):
            # it takes the write lock when it begins, waiting up to the busy timeout for it.
            # A read (Database.reading) takes no lock: a snapshot, with writes refused by SQLite itself.
            read_only = bool(conn.get_execution_options().get(READ_ONLY))
            info = conn.connection.info
            if info.get("query_only", False) != read_only:
                conn.exec_driver_sql(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
                info["query_only"] = read_only
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine, extra_dirs: list[str]):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    # the core's history and each area's own revisions form one chain
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join([os.path.join(MIGRATIONS_DIR, "versions"), *extra_dirs]))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(extra_dirs: list[str] = ()) -> str:
    """The newest revision id, read from file names so Alembic need not be
    imported (revision files are named ``NNNN_what.py`` with id ``NNNN``)."""
    revs = [f.split("_", 1)[0] for folder in (os.path.join(MIGRATIONS_DIR, "versions"), *extra_dirs)
            for f in os.listdir(folder) if f.endswith(".py") and f[0].isdigit()]
    return max(revs)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, extra_dirs: list[str] = ()) -> None:
    """Bring the schema to the newest revision. Alembic is imported only when
    there is something to do, which keeps start-up fast."""
    if current_revision(engine) == head_revision(extra_dirs):
        return
    from alembic import command

    with _UPGRADE_LOCK:  # Alembic's migration context is one per process
        command.upgrade(_alembic_config(engine, list(extra_dirs)), "head")


def _conflict(exc: IntegrityError) -> Exception:
    """A unique key taken by a concurrent request: a 409 naming the column, not a 500."""
    from jupyter_easymaker.core.errors import Conflict

    text_ = str(exc.orig)
    match = re.search(r"UNIQUE constraint failed: (\w+)\.(\w+)", text_) or re.search(r"Key \((\w+)\)=", text_)
    column = match.group(match.lastindex) if match else None
    if column is None or "unique" not in text_.lower() and "duplicate" not in text_.lower():
        return exc
    return Conflict(f"{column}: a row with this {column} was just stored by another request", field=column)


class Database:
    def __init__(self, url: str, migration_dirs: list[str] = (), *, migrate: bool = True):
        self.url = url
        self.engine = make_engine(url)
        if migrate:  # a second process on the same store (the inference gateway) leaves the schema to the server
            upgrade(self.engine, migration_dirs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        self._current = threading.local()
        event.listen(self.engine, "handle_error", self._note_refused_write)

    def _note_refused_write(self, context: Any) -> None:
        # noted here, where no caller's except clause can hide it from reading()
        if _REFUSED_WRITE in str(context.original_exception):
            self._current.refused = True

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Units of work opened inside only read: with SQLite they read a snapshot and wait
        for no writer (a unit of work otherwise takes the write lock when it begins, so a
        read would queue behind every write, the inference gateway's log inserts among them).
        A unit of work that writes all the same raises ``WriteInRead`` on leaving, whoever
        caught its error: the caller runs it again outside. Other stores are unchanged."""
        if getattr(self._current, "reading", False) or getattr(self._current, "session", None) is not None:
            yield  # already a read, or inside a unit of work that may write: it stays what it is
            return
        self._current.reading, self._current.refused = True, False
        try:
            yield
        except Exception as exc:
            if self._current.refused:  # the error stands for the refused write
                raise WriteInRead("a unit of work opened as a read wrote") from exc
            raise
        finally:
            self._current.reading = False
        if self._current.refused:
            raise WriteInRead("a unit of work opened as a read wrote")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads (see :meth:`reading`): what a reconciler's tick asks
        the store while another process (the inference gateway) writes."""
        with self.reading(), self.session() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that writes, also under :meth:`reading`: for work that takes what
        it writes out of memory first (statistics, logs), which a refused write would lose
        (its rerun finds nothing left to write)."""
        outer = getattr(self._current, "session", None)
        if outer is not None and getattr(self._current, "read_only", False):
            raise RuntimeError("a unit of work that writes cannot open inside one that reads")
        reading, self._current.reading = getattr(self._current, "reading", False), False
        try:
            with self.session() as session:
                yield session
        finally:
            self._current.reading = reading

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error.

        A unit of work opened inside another one on the same thread (one
        service asking another within its transaction) joins it as a savepoint:
        a second connection would wait for the first one's write lock forever."""
        outer = getattr(self._current, "session", None)
        if outer is not None:
            with outer.begin_nested():
                yield outer
            return
        read_only = getattr(self._current, "reading", False)
        session = (self._read_sessions if read_only else self._sessions)()
        self._current.session, self._current.read_only = session, read_only
        try:
            yield session
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise _conflict(exc) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            self._current.session = None
            session.close()

    def close(self) -> None:
        self.engine.dispose()
