from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.safeguards.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a backup (one tar file): the database, taken in one snapshot (pg_dump on "
        "PostgreSQL, SQLite's backup API on the embedded default), and the encrypted photo "
        "files its rows point to. The photo encryption key is never written into it: keep "
        "REUNITE_PHOTO_ENCRYPTION_KEY apart. The face index is rebuilt on restore."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="The file to write (default: data/backups/reunite-<UTC time>.tar).",
        )

    def handle(self, *args, **options):
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        path = Path(options["path"] or settings.DATA_DIR / "backups" / f"reunite-{stamp}.tar")
        try:
            result = backup_create(path=path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup of the {result.vendor} database and {result.files} photo files "
            f"({result.bytes} bytes) written to {result.path}"
        )
        if result.missing:
            self.stderr.write(
                f"{len(result.missing)} photo rows had no file (listed in the manifest): "
                f"ids {result.missing[:50]}"
            )
        self.stdout.write("The photo encryption key is not in the backup: keep it apart.")
