from django.core.management.base import BaseCommand, CommandError

from cases.audit.trail import audit_checkpoints_check, audit_pending_check, audit_verify


class Command(BaseCommand):
    help = (
        "Check the audit trail without writing to it: every sealed record's MAC and chain "
        "link, records waiting for their seal, and every signed checkpoint. Exits non-zero "
        "naming what is wrong."
    )

    def handle(self, *args, **options):
        checked, broken = audit_verify()
        pending, pending_problems = audit_pending_check()
        compared, checkpoint_problems = audit_checkpoints_check()
        problems = []
        if broken is not None:
            target = f"{broken.object_type}:{broken.object_id}" if broken.object_type else "-"
            problems.append(
                f"Audit chain broken at record #{broken.sequence} "
                f"(action {broken.action}, object {target}, at {broken.created_at.isoformat()}); "
                f"{checked} records before it verify."
            )
        if pending_problems:
            problems.append("Records inserted around the audit trail or unsealed too long:")
            problems.extend(f"  - {problem}" for problem in pending_problems)
        if checkpoint_problems:
            problems.append("Audit chain shortened or rewritten since a checkpoint:")
            problems.extend(f"  - {problem}" for problem in checkpoint_problems)
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {checked} records verified, {pending} waiting for their "
                f"seal, {compared} checkpoint{'' if compared == 1 else 's'} compared."
            )
        )
        if compared == 0 and checked:
            self.stdout.write(
                self.style.WARNING(
                    "No checkpoints to compare (REUNITE_AUDIT_CHECKPOINT_FILE): records deleted "
                    "from the end of the chain, or the whole chain, would go unnoticed."
                )
            )
