from django.core.management.base import BaseCommand, CommandError

from cases.access.apikeys import apikey_create
from cases.models import User
from reunite.kernel.errors import InvalidInput


class Command(BaseCommand):
    help = "Create an API key for a user and print it. It is shown only this once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label, e.g. the integrating system.")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user called {options['username']!r}.")
        try:
            _, key = apikey_create(user=user, created_by=None, name=options["name"])
        except InvalidInput as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(key)
