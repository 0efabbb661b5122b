from django.core.management.base import BaseCommand, CommandError

from cases.access.accounts import (
    ACCOUNT_CHANGES,
    account_change_approve,
    account_change_request,
)
from reunite.kernel.errors import InvalidInput, NotAllowed


class Command(BaseCommand):
    help = (
        "Change an account at the console with two operators: one asks (`request`), a second "
        "approves (`approve ID`). Both steps are audited; the one who asked cannot approve. "
        "For accounts no organisation admin can change (operators), or when an organisation "
        "has no admin left. Everyday changes belong to the organisation's admin at /org/users/."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="step", required=True)
        ask = sub.add_parser("request", help="Ask for a change; prints the request's number.")
        ask.add_argument("--by", required=True, help="Your operator username.")
        ask.add_argument("--user", required=True, help="The account to change.")
        ask.add_argument("--change", required=True, choices=ACCOUNT_CHANGES)
        ask.add_argument("--role", default="", help="With --change role: the new role.")
        ask.add_argument("--reason", required=True, help="Why; recorded in the audit trail.")
        approve = sub.add_parser("approve", help="Approve another operator's request.")
        approve.add_argument("request_id", type=int)
        approve.add_argument("--by", required=True, help="Your operator username.")

    def handle(self, *args, **options):
        try:
            if options["step"] == "request":
                event = account_change_request(
                    requested_by=options["by"],
                    username=options["user"],
                    change=options["change"],
                    role=options["role"],
                    reason=options["reason"],
                )
                self.stdout.write(
                    f"Request #{event.pk} recorded. A second operator approves it with: "
                    f"manage.py account_change approve {event.pk} --by THEIR_USERNAME"
                )
            else:
                user = account_change_approve(
                    approved_by=options["by"], request_id=options["request_id"]
                )
                self.stdout.write(f"Approved and applied to {user.username}.")
        except (InvalidInput, NotAllowed) as exc:
            messages = exc.messages if isinstance(exc, InvalidInput) else [str(exc)]
            raise CommandError("; ".join(messages)) from exc
