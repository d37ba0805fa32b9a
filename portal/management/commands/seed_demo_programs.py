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
            help="Do nothing if any content item, learning path or campaign exists.",
        )

    def handle(self, *args, seed=42, if_empty=False, **options):
        exists = (
            ContentItem.objects.exists()
            or LearningPath.objects.exists()
            or Campaign.objects.exists()
        )
        if if_empty and exists:
            self.stdout.write("Content or campaigns exist already; not seeding demo programs.")
            return
        started = time.monotonic()
        enablement = demo_enablement_seed(seed=seed)
        campaigns = demo_campaigns_seed(seed=seed)
        applications = demo_applications_seed()
        # Registrations last: their incentive rules name the segments, their partners are
        # the seeded ones (nothing when registrations exist).
        deals = demo_deals_seed(seed=seed)
        figures = {**enablement, **campaigns, "applications": applications, **deals}
        self.stdout.write(
            "Seeded demo programs in "
            f"{time.monotonic() - started:.1f} s: "
            + ", ".join(f"{key}={value}" for key, value in figures.items())
        )
