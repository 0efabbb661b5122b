from django.core.management.base import BaseCommand, CommandError

from cases.access.accounts import user_invite
from cases.models import Organisation, User
from reunite.kernel.errors import InvalidInput, NotAllowed


class Command(BaseCommand):
    help = (
        "Invite an organisation's first admin (or anyone, when it has none) by e-mail: a "
        "one-time link to set a password. Audited. Everything after that is done by the "
        "organisation's admin at /org/users/."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="The organisation's exact name.")
        parser.add_argument("username")
        parser.add_argument("email")
        parser.add_argument("--role", default=User.Role.ORG_ADMIN, choices=User.Role.values)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(name=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation called {options['organisation']!r}.")
        try:
            user = user_invite(
                actor=None,
                organisation=organisation,
                username=options["username"],
                email=options["email"],
                role=options["role"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except (InvalidInput, NotAllowed) as exc:
            messages = exc.messages if isinstance(exc, InvalidInput) else [str(exc)]
            raise CommandError("; ".join(messages)) from exc
        self.stdout.write(f"Invitation e-mailed to {user.email} for {user.username}.")
