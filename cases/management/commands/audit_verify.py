from django.core.management.base import BaseCommand, CommandError

from cases.audit.trail import audit_check


class Command(BaseCommand):
    help = (
        "Check the audit trail without writing to it: every sealed record's MAC and chain "
        "link, records waiting for their seal, and every signed checkpoint. Exits non-zero "
        "naming what is wrong."
    )

    def handle(self, *args, **options):
        check = audit_check()
        if check.problems:
            raise CommandError("\n".join(check.problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {check.checked} records verified, {check.pending} waiting "
                f"for their seal, {check.compared} "
                f"checkpoint{'' if check.compared == 1 else 's'} compared."
            )
        )
        if check.compared == 0 and check.checked:
            self.stdout.write(
                self.style.WARNING(
                    "No checkpoints to compare (REUNITE_AUDIT_CHECKPOINT_FILE): records deleted "
                    "from the end of the chain, or the whole chain, would go unnoticed."
                )
            )
