from django.core.management.base import BaseCommand, CommandError

from cases.access.apikeys import apikey_revoke, apikey_rotate
from cases.models import ApiKey


class Command(BaseCommand):
    help = (
        "List, rotate or revoke API keys (create them with create_api_token). "
        "A rotated key's new secret is printed once."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Keys with their prefix, owner and last use.")
        listing.add_argument("--user", default="")
        rotate = sub.add_parser("rotate", help="Issue a new key; the old one expires later.")
        rotate.add_argument("prefix")
        rotate.add_argument("--grace-hours", type=int, default=24)
        revoke = sub.add_parser("revoke", help="Stop a key working now.")
        revoke.add_argument("prefix")

    def handle(self, *args, **options):
        if options["action"] == "list":
            keys = ApiKey.objects.select_related("user").order_by("user__username", "created_at")
            if options["user"]:
                keys = keys.filter(user__username=options["user"])
            for key in keys:
                if key.revoked_at:
                    state = "revoked"
                elif key.expires_at:
                    state = f"expires {key.expires_at:%Y-%m-%d %H:%M}"
                else:
                    state = "live"
                last = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
                name = key.name or "-"
                self.stdout.write(f"{key.prefix}\t{key.user.username}\t{name}\t{state}\t{last}")
            return
        api_key = ApiKey.objects.select_related("user").filter(prefix=options["prefix"]).first()
        if api_key is None:
            raise CommandError(f"No key with prefix {options['prefix']!r}.")
        if options["action"] == "rotate":
            _, secret = apikey_rotate(
                api_key=api_key, rotated_by=None, grace_hours=options["grace_hours"]
            )
            self.stdout.write(secret)
        else:
            apikey_revoke(api_key=api_key, revoked_by=None)
            self.stdout.write(f"Revoked {api_key.prefix}.")
