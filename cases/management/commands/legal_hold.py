from django.core.management.base import BaseCommand, CommandError

from cases.models import FoundReport, MissingCase
from cases.safeguards.retention import legal_hold_lift, legal_hold_place
from reunite.kernel.errors import InvalidInput


class Command(BaseCommand):
    help = "Place or lift a legal hold on a case (C-...) or found report (F-...)."

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["place", "lift"])
        parser.add_argument("reference", help="The case or report reference, e.g. C-1A2B3C4D5E.")
        parser.add_argument("--reason", required=True, help="Why; recorded in the audit trail.")

    def handle(self, *args, **options):
        reference = options["reference"]
        obj = (
            MissingCase.objects.filter(reference=reference).first()
            or FoundReport.objects.filter(reference=reference).first()
        )
        if obj is None:
            raise CommandError(f"No case or report with reference {reference!r}.")
        service = legal_hold_place if options["verb"] == "place" else legal_hold_lift
        try:
            service(actor=None, obj=obj, reason=options["reason"])
        except InvalidInput as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        done = "placed on" if options["verb"] == "place" else "lifted from"
        self.stdout.write(f"Legal hold {done} {reference}.")
