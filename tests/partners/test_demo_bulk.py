"""partners/demo/bulk.py: the demo seed's bulk writes (COPY on PostgreSQL)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.demo.bulk import _copy_supported, _rows_write
from partners.models import Industry, Partner, PerformanceRecord

pytestmark = pytest.mark.django_db


def test_rows_copy_works_through_a_debug_cursor():
    # given a debug cursor, as every cursor is under DEBUG = True (the quick start's settings)
    assert _copy_supported()
    rows = [(f"copy-{index}", f"Copy {index}") for index in range(3)]

    # when the rows are written by COPY
    with CaptureQueriesContext(connection) as queries:
        written = _rows_write(Industry, ["slug", "name"], rows)

    # then they are all there, and the COPY was logged like any statement
    assert written == 3
    slugs = Industry.objects.filter(slug__startswith="copy-").values_list("slug", flat=True)
    assert sorted(slugs) == ["copy-0", "copy-1", "copy-2"]
    assert any(query["sql"].startswith("COPY ") for query in queries.captured_queries)


def test_seed_demo_runs_with_debug_on(settings):
    # given DEBUG on, as `make run` has it on the PostgreSQL route
    settings.DEBUG = True

    # when
    call_command("seed_demo", "--partners", "5", "--seed", "3", stdout=StringIO())

    # then
    assert Partner.objects.count() == 5
    assert PerformanceRecord.objects.filter(partner__in=Partner.objects.all()).exists()
