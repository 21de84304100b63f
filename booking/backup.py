"""`flask --app wsgi backup PATH`: a consistent copy of the database, taken while the app serves.

SQLite: the online backup API (sqlite3.Connection.backup) copies the database as one read
transaction sees it: every committed row, nothing of a write still in progress, while the app
goes on reading and writing (WAL). The copy is written next to PATH first, checked (PRAGMA
integrity_check), made readable by its owner only (it holds health data), then moved into place,
so PATH is never half a database. Restoring is copying it back while the app is stopped.

PostgreSQL: pg_dump does the same (a snapshot while the app serves); the command says which
one to run (README, "Backups") rather than handling the database password itself.
"""
import os
import sqlite3
from pathlib import Path

import click
from .extensions import db

PG_DUMP = "pg_dump -Fc -d expio -f {path}   (as the postgres user; README, \"Backups\")"


class BackupRefused(click.ClickException):
    pass


def sqlite_file(engine):
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(engine.url.database)


def backup_sqlite(source, target):
    """Copy the SQLite database `source` to `target` (both paths) with the online backup API;
    returns {table: rows} of the copy."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    origin = sqlite3.connect(source, timeout=30)  # only read: the backup is a reader
    copy = sqlite3.connect(partial)
    try:
        origin.backup(copy)  # all pages in one step: one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupRefused(f"the copy failed its integrity check: {check}")
        tables = [name for (name,) in copy.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        counts = {name: copy.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                  for name in tables}
    finally:
        copy.close()
        origin.close()
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    return counts


def register_backup_cli(app):
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace PATH if it exists.")
    def backup_command(path, force):
        """Write a consistent copy of the database to PATH while the app serves (SQLite; for
        PostgreSQL it names the pg_dump command)."""
        source = sqlite_file(db.engine)
        if source is None:
            raise BackupRefused("This database is not a SQLite file: back it up with pg_dump, "
                                "which also copies a running database consistently:\n  "
                                + PG_DUMP.format(path=path))
        if path.resolve() == source.resolve():
            raise BackupRefused("PATH is the database itself.")
        if path.exists() and not force:
            raise BackupRefused(f"{path} exists (--force replaces it).")
        if not path.parent.is_dir():
            raise BackupRefused(f"{path.parent} is not a folder.")
        counts = backup_sqlite(source, path)
        click.echo(f"Backed up {len(counts)} tables, {sum(counts.values())} rows to {path} "
                   f"(integrity ok, mode 0600).")
