from django.conf import settings
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (at most PRM_API_MAX_PAGE_SIZE); {count, next, previous,
    results}."""

    page_size_query_param = "page_size"
    max_page_size = settings.PRM_API_MAX_PAGE_SIZE
