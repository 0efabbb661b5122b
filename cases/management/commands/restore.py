from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.safeguards.backup import BackupError, RestoreRefused, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup written by `backup` into an EMPTY database and empty photo storage "
        "(create the database first, do not migrate it), then rebuild the face index. Needs "
        "the backed-up service's REUNITE_PHOTO_ENCRYPTION_KEY (checked before anything is "
        "written)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file.")

    def handle(self, *args, **options):
        try:
            result = backup_restore(path=Path(options["path"]))
        except (BackupError, RestoreRefused) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the {result.vendor} database and {result.files} photo files; "
                f"face index rebuilt: {result.indexed}."
            )
        )
