"""The segment list and the overlap heatmap."""

from __future__ import annotations

from django.db.models import Q
from django.views.generic import ListView, TemplateView

from partners.access import StaffRequiredMixin
from segments import selectors
from segments.filters import SegmentFilterSet
from segments.forms import OverlapForm, SegmentSearchForm
from segments.models import Segment, SegmentKind


class SegmentListView(StaffRequiredMixin, ListView):
    """Every segment with its size, freshness and health; filters from SegmentFilterSet."""

    template_name = "segments/list.html"
    context_object_name = "segments"
    paginate_by = 25

    def get_queryset(self):
        self.filterset = SegmentFilterSet(self.request.GET or None, queryset=self._base())
        self.search = SegmentSearchForm(self.request.GET or None)
        segments = self.filterset.qs
        if self.search.is_valid():
            query = self.search.cleaned_data["q"].strip()
            if query:
                segments = segments.filter(
                    Q(name__icontains=query)
                    | Q(slug__icontains=query)
                    | Q(objective__icontains=query)
                )
            sort = self.search.cleaned_data["sort"] or "name"
        else:
            sort = "name"
        return segments.order_by(sort, "name", "id")

    def paginate_queryset(self, queryset, page_size):
        """Like ListView's, but an out-of-range or bad page number shows the nearest page."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def _base(self):
        return selectors.segment_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kind = self.filterset.form.fields["kind"]
        kind.empty_label, kind.choices = "Any kind", SegmentKind.choices
        context.update(
            nav="segments",
            filterset=self.filterset,
            search=self.search,
            filtered=bool(self.request.GET.keys() - {"page"}),
            warnings=selectors.segment_warnings(),
            totals=selectors.segment_totals(),
        )
        return context


class SegmentOverlapView(StaffRequiredMixin, TemplateView):
    """A heatmap of shared members between the N largest segments, or a chosen set."""

    template_name = "segments/overlap.html"

    def get(self, request, *args, **kwargs):
        form = OverlapForm(request.GET or None)
        limit = 12
        chosen = []
        if form.is_bound and form.is_valid():
            limit = form.cleaned_data["limit"] or limit
            chosen = list(form.cleaned_data["segments"])
        if chosen:
            segments = sorted(chosen, key=lambda segment: (-segment.member_count, segment.name))
        else:
            segments = list(
                Segment.objects.filter(is_active=True).order_by("-member_count", "name")[:limit]
            )
        matrix = selectors.segment_overlap_matrix(segments=segments) if segments else None
        by_slug = {segment.slug: segment for segment in segments}
        top_pairs = [
            {**pair, "a": by_slug[pair["a"]], "b": by_slug[pair["b"]]}
            for pair in sorted(
                (pair for pair in (matrix or {}).get("pairs", []) if pair["shared"]),
                key=lambda pair: (-pair["jaccard"], -pair["shared"]),
            )[:10]
        ]
        status = 400 if form.is_bound and not form.is_valid() else 200
        context = self.get_context_data(
            nav="segments", form=form, matrix=matrix, top_pairs=top_pairs, limit=limit
        )
        return self.render_to_response(context, status=status)
