from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import Organisation, User

DEMO_PASSWORD = "reunite-demo-2026"  # noqa: S105 (documented demo password)
# The RFC 6238 test secret ("12345678901234567890"); base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ.
# Demo and browser tests compute codes from it. Never use a known secret outside the demo.
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DEMO_TOTP_USERS = (
    "reviewer",
    "reviewer2",
    "senior",
    "orgadmin",
    "ngoadmin",
    "agencyadmin",
    "operator",
)

ORGANISATIONS = {
    "family": ("Family Links (demo)", Organisation.Kind.GUARDIAN_SUPPORT),
    "ngo": ("Hope Street NGO (demo)", Organisation.Kind.NGO),
    # Reviewers must belong to neither side's organisation, so they get their own.
    "review": ("Regional Child Protection Agency (demo)", Organisation.Kind.AGENCY),
}
# The named contact each organisation shows the other side after a confirmation (fictional;
# the numbers are in Ofcom's range reserved for drama).
CONTACTS = {
    "family": ("Sam Okafor", "sam.okafor@family-links.demo.reunite.invalid", "+44 20 7946 0101"),
    "ngo": ("Ada Mensah", "ada.mensah@hope-street.demo.reunite.invalid", "+44 20 7946 0202"),
    "review": ("Lee Novak", "lee.novak@regional-agency.demo.reunite.invalid", "+44 20 7946 0303"),
}

USERS = [
    ("caseworker", "family", User.Role.CASEWORKER),
    ("orgadmin", "family", User.Role.ORG_ADMIN),
    ("partner", "ngo", User.Role.PARTNER),
    # Every organisation runs its own accounts and API keys through its admin.
    ("ngoadmin", "ngo", User.Role.ORG_ADMIN),
    ("agencyadmin", "review", User.Role.ORG_ADMIN),
    ("reviewer", "review", User.Role.REVIEWER),
    ("reviewer2", "review", User.Role.REVIEWER),
    ("senior", "review", User.Role.SENIOR_REVIEWER),
]


class Command(BaseCommand):
    help = "Create the demo organisations and users. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        orgs = {}
        for key, (name, kind) in ORGANISATIONS.items():
            orgs[key], _ = Organisation.objects.get_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "purpose": Organisation.Purpose.REUNITE_MISSING,
                    "approved_at": timezone.now(),
                },
            )
            name, email, phone = CONTACTS[key]
            # Fill the contact in once; an org admin's later edits are kept.
            if not orgs[key].contact_name:
                orgs[key].contact_name = name
                orgs[key].contact_email = orgs[key].contact_email or email
                orgs[key].contact_phone = phone
                orgs[key].save(update_fields=["contact_name", "contact_email", "contact_phone"])
        for username, org_key, role in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "organisation": orgs[org_key],
                    "role": role,
                    "email": f"{username}@demo.reunite.invalid",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
        # Staff (to reach /admin/) but not a superuser: superusers are break-glass only, and
        # /admin/ asks the permission matrix, not Django's flags.
        operator, created = User.objects.get_or_create(
            username="operator",
            defaults={
                "role": User.Role.OPERATOR,
                "is_staff": True,
                "email": "operator@demo.reunite.invalid",
            },
        )
        if created:
            operator.set_password(DEMO_PASSWORD)
            operator.save()
        elif operator.is_superuser:
            # A demo made before the operator stopped being a superuser.
            operator.is_superuser = False
            operator.save(update_fields=["is_superuser"])
        for username in DEMO_TOTP_USERS:
            TOTPDevice.objects.get_or_create(
                user=User.objects.get(username=username),
                name="Demo authenticator",
                defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
            )
        self.stdout.write(
            f"Demo ready: users {', '.join(u for u, _, _ in USERS)} and operator, "
            f"password {DEMO_PASSWORD!r}. Reviewers, senior, the org admins and operator use "
            "the TOTP secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ for their second factor."
        )
