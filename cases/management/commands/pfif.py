import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.models import MissingCase, User
from cases.partners import pfif
from reunite.kernel.errors import ReuniteError


class Command(BaseCommand):
    help = (
        "PFIF 1.4 interchange, acting as a user (their role and organisation decide, and "
        "their name is in the audit log). `export CASE_REFERENCE` writes one case as a PFIF "
        "person record with notes; `import FILE` files each person as a found report (or, "
        "with --kind case, a missing-child case). See docs/pfif.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("direction", choices=["export", "import"])
        parser.add_argument("target", help="export: a case reference; import: a file or -.")
        parser.add_argument("--user", required=True, help="The username to act as.")
        parser.add_argument("--kind", choices=pfif.Kind.ALL, default=pfif.Kind.REPORT)
        parser.add_argument("--output", "-o", help="export: write here instead of stdout.")

    def handle(self, *args, **options):
        user = User.objects.select_related("organisation").filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        try:
            if options["direction"] == "export":
                self._export(user, options)
            else:
                self._import(user, options)
        except ReuniteError as exc:
            raise CommandError(str(exc)) from exc

    def _export(self, user, options):
        case = MissingCase.objects.filter(reference=options["target"]).first()
        if case is None:
            raise CommandError(f"No case {options['target']!r}.")
        document = pfif.case_pfif_export(user=user, case_id=case.pk)
        if options["output"]:
            Path(options["output"]).write_bytes(document)
            self.stderr.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(document.decode())

    def _import(self, user, options):
        target = options["target"]
        try:
            data = sys.stdin.buffer.read() if target == "-" else Path(target).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {target}: {exc.strerror}") from exc
        results = pfif.pfif_import(user=user, data=data, kind=options["kind"])
        failed = 0
        for result in results:
            for warning in result.warnings:
                self.stderr.write(f"{result.person_record_id}: {warning}")
            if result.error is not None:
                failed += 1
                self.stdout.write(f"{result.person_record_id}: refused: {result.error}")
                continue
            verb = "filed" if result.created else "already filed"
            dropped = f" (dropped: {', '.join(result.dropped)})" if result.dropped else ""
            self.stdout.write(f"{result.person_record_id}: {verb} as {result.reference}{dropped}")
        if failed:
            raise CommandError(f"{failed} of {len(results)} person records were refused.")
