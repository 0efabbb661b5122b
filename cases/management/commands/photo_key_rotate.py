from django.conf import settings
from django.core.management.base import BaseCommand

from cases.safeguards.keys import (
    photo_key_rotate_batch,
    photo_key_rotation_start,
    photo_key_rotation_status,
)
from cases.safeguards.tasks import photo_key_rotate_task


class Command(BaseCommand):
    help = (
        "Re-encrypt every photo file (and webhook secret) with the current photo key "
        "(REUNITE_PHOTO_ENCRYPTION_KEY), in audited batches in the background. Old keys stay "
        "in REUNITE_PHOTO_ENCRYPTION_OLD_KEYS until --status shows none left. Resumes where a "
        "stopped rotation left off."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--status", action="store_true", help="Count files under the current and old keys."
        )
        parser.add_argument(
            "--now", action="store_true", help="Run every batch in this process instead."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="--now: files per batch (default REUNITE_PHOTO_KEY_ROTATION_BATCH_SIZE).",
        )

    def handle(self, *args, **options):
        if options["status"]:
            status = photo_key_rotation_status()
            self.stdout.write(
                f"Current key: {status.current}; old keys: {status.old}; "
                f"missing files: {status.missing}"
            )
            return
        after_id = photo_key_rotation_start()
        if not options["now"]:
            photo_key_rotate_task.delay(after_id=after_id)
            self.stdout.write(
                f"Key rotation queued from photo id {after_id}; "
                "see progress with --status (each batch is in the audit log)."
            )
            return
        total = 0
        next_id: int | None = after_id
        while next_id is not None:
            rotated, next_id = photo_key_rotate_batch(
                after_id=next_id,
                batch_size=options["batch_size"] or settings.PHOTO_KEY_ROTATION_BATCH_SIZE,
            )
            total += rotated
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} photo files."))
