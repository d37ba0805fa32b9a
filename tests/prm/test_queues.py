"""The shared queue pieces (prm/queues.py): the row ids of a bulk decision, the parameters a
queue keeps, the word search and the all-or-nothing decision."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict

from partners.models import Partner
from prm.queues import (
    BULK_MAX_ROWS,
    Queue,
    QueueRefused,
    QueueState,
    RowIdsField,
    kept_parameters,
    queue_decide_all,
    search_words,
)
from tests.partners.factories import ContactFactory, PartnerFactory

QUEUE = Queue(
    noun="partner",
    noun_plural="partners",
    states=(
        QueueState("waiting", "Waiting", Q(lifecycle_stage="applicant"), is_open=True),
        QueueState("done", "Done", ~Q(lifecycle_stage="applicant")),
    ),
    search_fields=("name",),
)


class TestRowIds:
    def test_ids_are_integers_each_once_in_order(self):
        assert RowIdsField().clean(["7", "3", "7"]) == [7, 3]

    @pytest.mark.parametrize("value", ["x", "-1", "0", "²", "1.5", "9" * 19])
    def test_anything_else_is_refused(self, value):
        with pytest.raises(ValidationError, match="is not a row id"):
            RowIdsField().clean([value])

    def test_none_and_too_many_are_refused(self):
        with pytest.raises(ValidationError, match="Select at least one row"):
            RowIdsField().clean([])
        with pytest.raises(ValidationError, match=f"at most {BULK_MAX_ROWS}"):
            RowIdsField().clean([str(n) for n in range(1, BULK_MAX_ROWS + 2)])


def test_kept_parameters_are_the_state_search_and_page_only():
    params = QueryDict("state=pending&q=north+wind&page=2&ids=4&csrfmiddlewaretoken=t")
    assert kept_parameters(params) == "state=pending&q=north+wind&page=2"


@pytest.mark.django_db
class TestWithRows:
    def test_every_word_matches_some_field_and_a_row_is_listed_once(self):
        partner = PartnerFactory(name="Northwind")
        ContactFactory.create_batch(2, partner=partner, first_name="Nora")
        PartnerFactory(name="Nora Systems")
        rows = search_words(Partner.objects.all(), "nora north", ("name", "contacts__first_name"))
        assert list(rows) == [partner]

    def test_a_refused_row_leaves_every_row_as_it_was(self):
        first, second = (
            PartnerFactory(lifecycle_stage="applicant"),
            PartnerFactory(lifecycle_stage="applicant"),
        )

        def decide(row):
            if row.pk == second.pk:
                raise ValidationError("No.")
            Partner.objects.filter(pk=row.pk).update(lifecycle_stage="active")

        with pytest.raises(QueueRefused) as refused:
            queue_decide_all(
                queue=QUEUE,
                queryset=Partner.objects.all(),
                ids=[first.pk, second.pk],
                decide=decide,
                label=lambda row: row.name,
            )
        assert refused.value.refused == [(second.name, "No.")]
        first.refresh_from_db()
        assert first.lifecycle_stage == "applicant"
