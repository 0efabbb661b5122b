from django.core.management.base import BaseCommand, CommandError

from matching.models import Candidate
from matching.review.decisions import candidate_withdraw
from reunite.kernel.errors import InvalidInput


class Command(BaseCommand):
    help = (
        "Withdraw a candidate made in error (audited). The admin is read-only for candidates; "
        "this is how an operator corrects one."
    )

    def add_arguments(self, parser):
        parser.add_argument("candidate_id", type=int)
        parser.add_argument("--reason", required=True, help="Why; recorded in the audit trail.")

    def handle(self, *args, **options):
        try:
            candidate = Candidate.objects.get(pk=options["candidate_id"])
        except Candidate.DoesNotExist as exc:
            raise CommandError(f"No candidate {options['candidate_id']}.") from exc
        try:
            candidate_withdraw(actor=None, candidate=candidate, reason=options["reason"])
        except InvalidInput as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Candidate {candidate.pk} withdrawn.")
