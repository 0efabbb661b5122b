"""Move every stored photo to a new embedding space, resumably, then switch in one step.

manage.py reembed                      # build the space of REUNITE_MATCH_PROFILE, wait
manage.py reembed --profile NAME       # ... of another profile
manage.py reembed --status             # counts, without changing anything
manage.py reembed --switch             # make the built space the active one (audited)
manage.py reembed --abandon            # stop building; the active space is untouched
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from matching.selectors import space_progress
from matching.spaces.active import space_active, space_building
from matching.spaces.services import (
    SpaceError,
    space_abandon,
    space_build_start,
    space_reembed_enqueue,
    space_switch,
)


class Command(BaseCommand):
    help = "Re-embed every stored photo into a new space; --switch makes it the active one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", default=settings.MATCH_PROFILE)
        parser.add_argument("--status", action="store_true", help="print progress and exit")
        parser.add_argument("--switch", action="store_true", help="switch once complete")
        parser.add_argument("--abandon", action="store_true", help="stop building")
        parser.add_argument("--no-wait", action="store_true", help="queue the work and exit")
        parser.add_argument(
            "--timeout", type=float, default=0, help="give up waiting after this many seconds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except SpaceError as exc:
            raise CommandError(str(exc)) from exc

    def _handle(self, options: dict) -> None:
        active = space_active()
        building = space_building()
        if options["status"]:
            self.stdout.write(f"Active: {active.name} ({active.profile})")
            if building is None:
                self.stdout.write("Nothing is being built.")
            else:
                self._print_progress(building.name)
            return
        if options["abandon"]:
            if building is None:
                raise CommandError("Nothing is being built.")
            space_abandon(user=None, space=building.name)
            self.stdout.write(f"Abandoned {building.name}; {active.name} stays active.")
            return
        if building is None:
            building = space_build_start(user=None, profile=str(options["profile"]))
            self.stdout.write(f"Building {building.name}; {active.name} stays active meanwhile.")
        elif not space_progress(space=building.name).complete:
            # Resume: queue whatever is still missing (tasks are idempotent).
            queued = space_reembed_enqueue(space=building.name)
            self.stdout.write(f"Resuming {building.name}: {queued} faces queued.")
        if options["no_wait"]:
            return
        self._wait(building.name, timeout=float(options["timeout"] or 0))
        if options["switch"]:
            self._switch(building.name)
        else:
            self.stdout.write("Complete. Run `manage.py reembed --switch` to start using it.")

    def _wait(self, space: str, *, timeout: float) -> None:
        progress = space_progress(space=space)
        started = time.monotonic()
        with tqdm(total=progress.total, initial=progress.embedded, unit="face") as bar:
            while not progress.complete:
                if timeout and time.monotonic() - started > timeout:
                    raise CommandError(
                        f"{progress.missing} faces still missing; run the command again to resume."
                    )
                time.sleep(2)
                progress = space_progress(space=space)
                bar.total = progress.total
                bar.n = progress.embedded
                bar.refresh()

    def _switch(self, space: str) -> None:
        space_switch(user=None, space=space)
        self.stdout.write(f"Switched: matching now uses {space}; every face is searched again.")

    def _print_progress(self, space: str) -> None:
        p = space_progress(space=space)
        self.stdout.write(
            f"Building: {p.space}: {p.embedded} of {p.total} faces embedded, {p.missing} missing."
        )
