"""uploaded files move into the database

Every row that owned a file in the upload folder (documents, message attachments,
insurance card photos, proxy request documents) now points to a `stored_files` row that
holds the bytes. The files are read from the old upload folder: PORTAL_UPLOAD_DIR, else
the instance folder's uploads/ (config OLD_UPLOAD_DIR). A row whose file is not there is
kept, with its file's name, type and size but no bytes (its download is a 404, as it was),
and reported in the log. The old folder is left as it was: remove it once you have checked.

Revision ID: 0012_files
Revises: 0011
Create Date: 2026-12-06 07:30:00

"""
import hashlib
import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0012_files'
down_revision = '0011'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

#: Owning table -> its old file columns (name, type, nullable), as before this migration.
OWNERS = {
    'documents': [('filename', sa.String(200), False), ('content_type', sa.String(100), False),
                  ('size', sa.Integer(), False), ('stored_name', sa.String(80), False),
                  ('sha256', sa.String(64), False)],
    'message_attachments': [
        ('filename', sa.String(200), False), ('content_type', sa.String(100), False),
        ('size', sa.Integer(), False), ('stored_name', sa.String(80), False),
        ('sha256', sa.String(64), False)],
    'billing_coverages': [('filename', sa.String(200), True), ('content_type', sa.String(50), True),
                          ('size', sa.Integer(), True), ('stored_name', sa.String(64), True),
                          ('sha256', sa.String(64), True)],
    'proxy_requests': [('stored_name', sa.String(80), True), ('filename', sa.String(200), True),
                       ('content_type', sa.String(100), True)],
}
#: Tables whose rows always had a file: their file_id is required.
REQUIRED = ('documents', 'message_attachments')

stored_files = sa.Table(
    'stored_files', sa.MetaData(), sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('data', sa.LargeBinary), sa.Column('size', sa.Integer),
    sa.Column('sha256', sa.String(64)), sa.Column('content_type', sa.String(100)),
    sa.Column('filename', sa.String(200)), sa.Column('created_at', sa.DateTime))


def old_upload_dir() -> Path:
    """Where the files were kept before: the setting, else the instance folder's uploads/."""
    config = current_app.config
    return Path(config.get('OLD_UPLOAD_DIR') or Path(config['INSTANCE_DIR']) / 'uploads')


def _owner(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, sa.column('id', sa.Integer), sa.column('file_id', sa.Integer),
                    *(sa.column(column) for column in columns))


def _read(folder: Path, stored_name: str) -> bytes | None:
    if not stored_name or '/' in stored_name or '\\' in stored_name or stored_name in ('.', '..'):
        return None
    path = folder / stored_name
    return path.read_bytes() if path.is_file() else None


def upgrade():
    op.create_table(
        'stored_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')))
    for table in OWNERS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
            batch.create_index(batch.f(f'ix_{table}_file_id'), ['file_id'], unique=False)
            batch.create_foreign_key(batch.f(f'fk_{table}_file_id_stored_files'),
                                     'stored_files', ['file_id'], ['id'])
    _move_files_in(op.get_bind(), old_upload_dir())
    for table, columns in OWNERS.items():
        with op.batch_alter_table(table) as batch:
            if table in REQUIRED:
                batch.drop_constraint(f'uq_{table}_stored_name', type_='unique')
                batch.alter_column('file_id', existing_type=sa.Integer(), nullable=False)
            for name, _, _ in columns:
                batch.drop_column(name)


def _move_files_in(conn, folder: Path) -> None:
    """A stored_files row for every file a row names; the same file once (card versions)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    moved, missing = 0, []
    for table, columns in OWNERS.items():
        names = [name for name, _, _ in columns]
        owner = _owner(table, *names)
        rows = conn.execute(sa.select(owner).where(owner.c.stored_name.is_not(None))
                            .order_by(owner.c.id)).mappings().all()
        known: dict[str, int] = {}
        for row in rows:
            file_id = known.get(row['stored_name'])
            if file_id is None:
                data = _read(folder, row['stored_name'])
                if data is None:
                    missing.append(f"{table} {row['id']} ({row['stored_name']})")
                else:
                    moved += 1
                file_id = conn.execute(stored_files.insert().values(
                    data=data,
                    size=len(data) if data is not None else row.get('size') or 0,
                    sha256=(hashlib.sha256(data).hexdigest() if data is not None
                            else row.get('sha256') or ''),
                    content_type=row['content_type'] or 'application/octet-stream',
                    filename=row['filename'] or 'document', created_at=now,
                )).inserted_primary_key[0]
                known[row['stored_name']] = file_id
            conn.execute(owner.update().where(owner.c.id == row['id'])
                         .values(file_id=file_id))
    if moved or missing:
        log.info("Moved %d uploaded file(s) from %s into the database; the folder is left "
                 "as it was.", moved, folder)
    for entry in missing:
        log.warning("The file of %s is not in %s: the row is kept, its download is a 404.",
                    entry, folder)
    if missing:
        log.warning("%d file(s) were missing from %s (listed above).", len(missing), folder)


def downgrade():
    folder = old_upload_dir()
    for table, columns in OWNERS.items():
        with op.batch_alter_table(table) as batch:
            for name, kind, _ in columns:
                batch.add_column(sa.Column(name, kind, nullable=True))
    _write_files_out(op.get_bind(), folder)
    for table, columns in OWNERS.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(batch.f(f'fk_{table}_file_id_stored_files'), type_='foreignkey')
            batch.drop_index(batch.f(f'ix_{table}_file_id'))
            batch.drop_column('file_id')
            for name, kind, nullable in columns:
                if not nullable:
                    batch.alter_column(name, existing_type=kind, nullable=False)
            if table in REQUIRED:
                batch.create_unique_constraint(f'uq_{table}_stored_name', ['stored_name'])
    op.drop_table('stored_files')


def _write_files_out(conn, folder: Path) -> None:
    """Put every stored file back into the upload folder, under a new random name."""
    written: dict[int, str] = {}
    for table, columns in OWNERS.items():
        names = [name for name, _, _ in columns]
        owner = _owner(table, *names)
        rows = conn.execute(sa.select(owner.c.id, owner.c.file_id)
                            .where(owner.c.file_id.is_not(None))).all()
        for row_id, file_id in rows:
            stored = conn.execute(sa.select(stored_files).where(stored_files.c.id == file_id)
                                  ).mappings().one()
            if file_id not in written:
                written[file_id] = secrets.token_hex(16)
                if stored['data'] is not None:
                    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                    path = folder / written[file_id]
                    path.write_bytes(stored['data'])
                    path.chmod(0o600)
            values = {'stored_name': written[file_id], 'filename': stored['filename'],
                      'content_type': stored['content_type']}
            if 'size' in names:
                values.update(size=stored['size'], sha256=stored['sha256'])
            conn.execute(owner.update().where(owner.c.id == row_id).values(**values))
