from django.core.management.base import BaseCommand, CommandError

from cases.access.accounts import organisation_pause
from cases.models import Organisation
from reunite.kernel.errors import InvalidInput


class Command(BaseCommand):
    help = "Pause an organisation: its users and API keys are refused until it is approved again."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The organisation's exact name.")
        parser.add_argument("--reason", required=True, help="Why; recorded in the audit trail.")

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(name=options["name"]).first()
        if organisation is None:
            raise CommandError(f"No organisation called {options['name']!r}.")
        try:
            organisation = organisation_pause(
                actor=None, organisation=organisation, reason=options["reason"]
            )
        except InvalidInput as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{organisation.name}: paused ({organisation.paused_reason}).")
