from django.core.management.base import BaseCommand, CommandError

from cases.access.accounts import organisation_approve
from cases.models import Organisation


class Command(BaseCommand):
    help = "Approve an organisation (or lift its pause), so its users and API keys work."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The organisation's exact name.")

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(name=options["name"]).first()
        if organisation is None:
            raise CommandError(f"No organisation called {options['name']!r}.")
        organisation = organisation_approve(actor=None, organisation=organisation)
        self.stdout.write(f"{organisation.name}: approved and active.")
