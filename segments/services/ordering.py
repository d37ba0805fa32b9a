"""The order segments are evaluated in: each after the segments its rule names
(segments_evaluation_order), and grouped into dependency levels whose segments can be
evaluated together (segments_dependency_levels)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from segments.models import Segment


def segments_evaluation_order(*, segment_ids: Iterable[int] | None = None) -> list[Segment]:
    """Active dynamic segments (or the given ones) with every segment after those it names."""
    segments = list(Segment.objects.dynamic().prefetch_related("depends_on"))
    if segment_ids is not None:
        wanted = set(segment_ids)
        segments = [segment for segment in segments if segment.id in wanted]
    by_id = {segment.id: segment for segment in segments}
    ordered: list[Segment] = []
    seen: set[int] = set()

    def visit(segment: Segment) -> None:
        if segment.id in seen:
            return
        seen.add(segment.id)
        for dependency in segment.depends_on.all():
            if dependency.id in by_id:
                visit(by_id[dependency.id])
        ordered.append(segment)

    for segment in sorted(segments, key=lambda item: item.id):
        visit(segment)
    return ordered


def segments_dependency_levels(segments: Sequence[Segment]) -> list[list[Segment]]:
    """Segments (given in evaluation order, their depends_on prefetched) grouped by level: a
    segment sits one level above the highest of these segments its rule names, so a whole
    level can be evaluated at once after the levels below it."""
    level_of: dict[int, int] = {}
    levels: list[list[Segment]] = []
    for segment in segments:
        level = 1 + max(
            (level_of[dep.id] for dep in segment.depends_on.all() if dep.id in level_of),
            default=-1,
        )
        level_of[segment.id] = level
        if level == len(levels):
            levels.append([])
        levels[level].append(segment)
    return levels
