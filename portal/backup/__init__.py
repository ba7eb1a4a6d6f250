"""Backups: the database (uploaded files included) in one archive, and restoring from one.

`flask portal backup` and `flask portal restore` (portal/cli.py) are thin wrappers
around `create_backup` and `prepare_restore`.
"""

from portal.backup.archive import BackupError
from portal.backup.making import Backup, create_backup
from portal.backup.restoring import Restore, prepare_restore

__all__ = ["Backup", "BackupError", "Restore", "create_backup", "prepare_restore"]
