from django.core.management.base import BaseCommand, CommandError

from cases.audit.trail import audit_checkpoint_check, audit_verify


class Command(BaseCommand):
    help = (
        "Check the audit trail's HMAC chain, and its head against the last checkpoint. "
        "Exits non-zero naming the first broken record."
    )

    def handle(self, *args, **options):
        checked, broken = audit_verify()
        if broken is not None:
            target = f"{broken.object_type}:{broken.object_id}" if broken.object_type else "-"
            raise CommandError(
                f"Audit chain broken at record #{broken.sequence} "
                f"(action {broken.action}, object {target}, at {broken.created_at.isoformat()}); "
                f"{checked} records before it verify."
            )
        problem = audit_checkpoint_check()
        if problem is not None:
            raise CommandError(f"Audit chain shortened or rewritten: {problem}.")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} records verified."))
