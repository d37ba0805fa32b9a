from django.core.management.base import BaseCommand, CommandError

from segments import services
from segments.models import EvaluationStatus, EvaluationTrigger, Segment


class Command(BaseCommand):
    help = "Evaluate dynamic segments now (all active ones in dependency order, or one)."

    def add_arguments(self, parser):
        parser.add_argument("--segment", metavar="SLUG", help="Evaluate only this segment.")

    def handle(self, *args, segment=None, **options):
        if segment:
            try:
                target = Segment.objects.get(slug=segment)
            except Segment.DoesNotExist as error:
                raise CommandError(f"No segment with slug {segment!r}.") from error
            runs = [
                services.segment_evaluate(segment_id=target.id, trigger=EvaluationTrigger.MANUAL)
            ]
        else:
            runs = services.segments_evaluate_all(trigger=EvaluationTrigger.MANUAL)
        failed = 0
        for run in runs:
            if run.status == EvaluationStatus.FAILED:
                failed += 1
                self.stderr.write(f"{run.segment.slug}: failed: {run.error}")
            else:
                self.stdout.write(
                    f"{run.segment.slug}: {run.status}, matched {run.matched}, "
                    f"joined {run.joined}, left {run.left} in {run.duration_ms} ms"
                )
        self.stdout.write(f"{len(runs)} segment(s) evaluated, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} segment(s) failed.")
