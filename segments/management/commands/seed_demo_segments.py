import time

from django.core.management.base import BaseCommand

from segments import services
from segments.demo import demo_segments_history, demo_segments_seed
from segments.models import Segment


class Command(BaseCommand):
    help = "Create the demo segments and evaluate them (after seed_demo)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any segment exists."
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Segment.objects.exists():
            self.stdout.write("Segments exist already; not seeding demo segments.")
            return
        started = time.perf_counter()
        created = demo_segments_seed()
        runs = services.segments_evaluate_all()
        # Two years of joins and leaves instead of every member joining today.
        history = demo_segments_history(slugs=[segment.slug for segment in created])
        self.stdout.write(
            f"Created {len(created)} demo segment(s); evaluated {len(runs)}: "
            + ", ".join(f"{run.segment.slug}={run.matched}" for run in runs)
            + f"; back-dated {sum(history.values()):,} membership events over two years"
            + f" in {time.perf_counter() - started:.1f}s."
        )
