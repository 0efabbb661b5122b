from django.core.management.base import BaseCommand, CommandError

from cases.safeguards.files import photo_files_check


class Command(BaseCommand):
    help = (
        "Find encrypted photo files no row points to (removed with --remove, audited) and "
        "photo rows whose file is missing (reported, audited). Exits non-zero if any is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--remove", action="store_true", help="Remove orphaned files.")

    def handle(self, *args, **options):
        report = photo_files_check(remove_orphans=options["remove"])
        verb = "removed" if options["remove"] else "found (run with --remove to remove them)"
        self.stdout.write(f"Orphaned files {verb}: {len(report.orphans)}")
        if report.missing:
            raise CommandError(
                f"{len(report.missing)} photo rows have no file: ids {report.missing[:50]}"
            )
        self.stdout.write(self.style.SUCCESS("Every photo row has its file."))
