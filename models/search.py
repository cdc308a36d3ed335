"""The full-text index, which lives outside the ORM tables.

SQLite: two FTS5 tables with external content (the text stays in ``messages``
and ``fans``; the index holds only tokens), filled by a catch-up job after each
sync so that bulk writes stay fast, and kept right on edits and deletions by
triggers. PostgreSQL: GIN indexes over ``to_tsvector('simple', ...)``, which
the database maintains itself. The ``unplugged`` configuration (``simple`` plus
``unaccent``) and FTS5's
``unicode61 remove_diacritics 2`` tokenizer do no stemming, so English,
French, Spanish and German text are all searched the same way, accents folded.

:func:`install` is called by the migration and by the test fixtures.
"""

from __future__ import annotations

from sqlalchemy import Connection

# Every word is searched as a prefix ("tick" finds "tickets"). Without a prefix index
# FTS5 answers a prefix by merging the whole list of every word that starts with it
# (all 100,000 messages with "ticket" for the 50 newest); with one, a prefix of 2 to 8
# characters has its own list, read newest first and stopped after a page (about four
# times the index size: 38 -> 162 MB for 1,000,000 messages).
MESSAGE_FTS_PREFIXES = "2 3 4 5 6 7 8"
MESSAGE_FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5("
    "text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2', "
    f"prefix='{MESSAGE_FTS_PREFIXES}')"
)
SQLITE_DDL = (
    MESSAGE_FTS_DDL,
    "CREATE VIRTUAL TABLE IF NOT EXISTS fan_fts USING fts5("
    "display_name, content='fans', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    # How far the catch-up job has indexed (ids only grow).
    "CREATE TABLE IF NOT EXISTS search_progress (name TEXT PRIMARY KEY, last_id INTEGER NOT NULL)",
    # Edits and deletions of rows already indexed.
    """CREATE TRIGGER IF NOT EXISTS message_fts_update AFTER UPDATE OF text ON messages
       WHEN old.id <= coalesce((SELECT last_id FROM search_progress WHERE name = 'messages'), 0)
       BEGIN
         INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.id, old.text);
         INSERT INTO message_fts(rowid, text) VALUES (new.id, new.text);
       END""",
    """CREATE TRIGGER IF NOT EXISTS message_fts_delete AFTER DELETE ON messages
       WHEN old.id <= coalesce((SELECT last_id FROM search_progress WHERE name = 'messages'), 0)
       BEGIN
         INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.id, old.text);
       END""",
    """CREATE TRIGGER IF NOT EXISTS fan_fts_update AFTER UPDATE OF display_name ON fans
       WHEN old.id <= coalesce((SELECT last_id FROM search_progress WHERE name = 'fans'), 0)
       BEGIN
         INSERT INTO fan_fts(fan_fts, rowid, display_name) VALUES ('delete', old.id,
                                                                   old.display_name);
         INSERT INTO fan_fts(rowid, display_name) VALUES (new.id, new.display_name);
       END""",
    """CREATE TRIGGER IF NOT EXISTS fan_fts_delete AFTER DELETE ON fans
       WHEN old.id <= coalesce((SELECT last_id FROM search_progress WHERE name = 'fans'), 0)
       BEGIN
         INSERT INTO fan_fts(fan_fts, rowid, display_name) VALUES ('delete', old.id,
                                                                   old.display_name);
       END""",
)

HANDLE_PREFIX_DDL = (
    "CREATE INDEX IF NOT EXISTS ix_identities_handle_prefix ON identities "
    "(workspace_id, lower(handle) text_pattern_ops)"
)
POSTGRES_DDL = (
    # A configuration like 'simple' (no stemming: the text mixes languages) that also
    # folds accents, so "cafe" finds "café". unaccent is a trusted extension (PG 13+).
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$
       DECLARE dict_schema text;
       BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_ts_config
                        WHERE cfgname = 'unplugged'
                          AND cfgnamespace = current_schema()::regnamespace) THEN
           SELECT n.nspname INTO dict_schema FROM pg_ts_dict d
             JOIN pg_namespace n ON n.oid = d.dictnamespace WHERE d.dictname = 'unaccent';
           CREATE TEXT SEARCH CONFIGURATION unplugged (COPY = pg_catalog.simple);
           EXECUTE format('ALTER TEXT SEARCH CONFIGURATION unplugged ALTER MAPPING FOR '
                          'hword, hword_part, word WITH %%I.unaccent, simple', dict_schema);
         END IF;
       END $$""",
    # Angle brackets become spaces first: PostgreSQL's parser would otherwise read
    # "<b>ticket</b>" as one tag token and index no word at all.
    "CREATE INDEX IF NOT EXISTS ix_messages_fulltext ON messages "
    "USING gin (to_tsvector('unplugged', translate(text, '<>', '  ')))",
    "CREATE INDEX IF NOT EXISTS ix_fans_fulltext ON fans "
    "USING gin (to_tsvector('unplugged', translate(display_name, '<>', '  ')))",
    # A search finds fans by the start of a handle (LIKE 'hugo79%'): PostgreSQL's
    # btree on lower(handle) cannot answer LIKE under a linguistic collation, so each
    # search read every identity (40 ms at 200,000 fans); pattern ops order as bytes.
    HANDLE_PREFIX_DDL,
)
TS_CONFIG = "unplugged"


def reindex(conn: Connection) -> None:
    """Rebuild the PostgreSQL indexes after their expression changed (a migration calls it)."""
    if conn.dialect.name == "sqlite":
        return
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_messages_fulltext")
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_fans_fulltext")
    install(conn)


# Objects Alembic's autogenerate must not mistake for missing models.
NOT_IN_MODELS = {
    "message_fts",
    "message_fts_data",
    "message_fts_idx",
    "message_fts_docsize",
    "message_fts_config",
    "fan_fts",
    "fan_fts_data",
    "fan_fts_idx",
    "fan_fts_docsize",
    "fan_fts_config",
    "search_progress",
    "ix_messages_fulltext",
    "ix_fans_fulltext",
    "ix_identities_handle_prefix",
}


def install(conn: Connection) -> None:
    statements = SQLITE_DDL if conn.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in statements:
        conn.exec_driver_sql(statement)


def rebuild_message_index(conn: Connection, ddl: str = MESSAGE_FTS_DDL) -> None:
    """Recreate the SQLite message index with ``ddl`` (a migration changing its options)
    and index again every message the old one held; the catch-up does the rest."""
    if conn.dialect.name != "sqlite":
        return
    last = conn.exec_driver_sql(
        "SELECT last_id FROM search_progress WHERE name = 'messages'"
    ).scalar()
    conn.exec_driver_sql("DROP TABLE IF EXISTS message_fts")
    conn.exec_driver_sql(ddl)
    conn.exec_driver_sql(
        "INSERT INTO message_fts(rowid, text) SELECT id, text FROM messages WHERE id <= ?",
        (int(last or 0),),
    )


def uninstall(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for name in (
            "message_fts_update",
            "message_fts_delete",
            "fan_fts_update",
            "fan_fts_delete",
        ):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        for table in ("message_fts", "fan_fts", "search_progress"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    else:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_messages_fulltext")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_fans_fulltext")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_identities_handle_prefix")
        conn.exec_driver_sql("DROP TEXT SEARCH CONFIGURATION IF EXISTS unplugged")


def catch_up(conn: Connection) -> int:
    """Index messages and fans stored since the last run; returns how many rows.

    SQLite only: PostgreSQL's GIN indexes are maintained by the database. The
    sync job calls this after each batch (``inbox.jobs.index_search``).
    """
    if conn.dialect.name != "sqlite":
        return 0
    done = 0
    for name, table, fts, column in (
        ("messages", "messages", "message_fts", "text"),
        ("fans", "fans", "fan_fts", "display_name"),
    ):
        last = conn.exec_driver_sql(
            "SELECT last_id FROM search_progress WHERE name = ?", (name,)
        ).scalar()
        last = int(last or 0)
        top = (
            # table names from the tuple above (bandit B608)
            conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()  # nosec B608
            or 0
        )
        if top <= last:
            continue
        # names from the tuple above; ids are bound (bandit B608)
        conn.exec_driver_sql(
            f"INSERT INTO {fts}(rowid, {column}) SELECT id, {column} FROM {table}"  # nosec B608
            f" WHERE id > ? AND id <= ?",
            (last, top),
        )
        conn.exec_driver_sql(
            "INSERT INTO search_progress(name, last_id) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET last_id = excluded.last_id",
            (name, top),
        )
        done += int(top) - last
    return done


def before_bulk_delete(conn: Connection) -> None:
    """Index everything first: the delete triggers may only remove rows the index holds."""
    catch_up(conn)


def after_bulk_delete(conn: Connection) -> None:
    """Let the catch-up index rows that reuse the ids of deleted ones.

    SQLite gives a new row the highest id plus one, so once the newest messages are
    deleted their ids come back; the catch-up would skip them as already indexed.
    """
    if conn.dialect.name != "sqlite":
        return
    for name, table in (("messages", "messages"), ("fans", "fans")):
        # table names from the tuple above (bandit B608)
        conn.exec_driver_sql(
            "UPDATE search_progress SET last_id = "  # nosec B608
            f"(SELECT coalesce(max(id), 0) FROM {table}) WHERE name = ? AND last_id > "
            f"(SELECT coalesce(max(id), 0) FROM {table})",
            (name,),
        )
