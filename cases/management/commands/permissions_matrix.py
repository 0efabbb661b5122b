from django.core.management.base import BaseCommand

from cases.access.permissions import permissions_matrix_markdown


class Command(BaseCommand):
    help = "Print the role x action permission matrix as Markdown (docs/permissions.md)."

    def handle(self, *args, **options):
        self.stdout.write(permissions_matrix_markdown(), ending="")
