import time

from django.core.management.base import BaseCommand

from communications.demo import demo_campaigns_seed
from communications.models import Campaign
from deals.demo import demo_deals_seed
from enablement.demo import demo_enablement_seed
from enablement.models import ContentItem, LearningPath
from portal.demo import demo_applications_seed


class Command(BaseCommand):
    help = (
        "Create the demo's programs (after seed_demo and seed_demo_segments): content in "
        "every gated audience, learning paths with quizzes and enrolments, past and scheduled "
        "campaigns with their messages and survey answers, pending partner applications, and a "
        "year of deal registrations with their incentive rules."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed no content, paths or campaigns if any exists (deals: if none exists).",
        )

    def handle(self, *args, seed=42, if_empty=False, **options):
        exists = (
            ContentItem.objects.exists()
            or LearningPath.objects.exists()
            or Campaign.objects.exists()
        )
        started = time.monotonic()
        figures: dict = {}
        if if_empty and exists:
            self.stdout.write("Content or campaigns exist already; not seeding them again.")
        else:
            figures.update(demo_enablement_seed(seed=seed))
            figures.update(demo_campaigns_seed(seed=seed))
            figures["applications"] = demo_applications_seed()
        # Registrations last: their incentive rules name the segments, their partners are the
        # seeded ones. Their own guard (nothing when any registration exists) lets an install
        # seeded before deals existed get them on its next start.
        figures.update(demo_deals_seed(seed=seed))
        self.stdout.write(
            "Seeded demo programs in "
            f"{time.monotonic() - started:.1f} s: "
            + ", ".join(f"{key}={value}" for key, value in figures.items())
        )
