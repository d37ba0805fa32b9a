import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from communications.models import Campaign, Message
from partners.models import Contact, Partner
from tests.partners.factories import PartnerFactory

# The command truncates tables, commits, and forks worker processes that must see the data.
pytestmark = pytest.mark.django_db(transaction=True)

KEYS = (
    "contacts",
    "freeze_s",
    "hand_insert_s",
    "freeze_ratio",
    "messages",
    "send_s",
    "messages_per_s",
)


def run_bench(**options) -> tuple[str, dict]:
    out = io.StringIO()
    call_command("bench_dispatch", stdout=out, **options)
    text = out.getvalue()
    return text, json.loads(text.strip().splitlines()[-1])


def test_bench_dispatch_prints_every_figure_and_sends_each_message_once():
    # when
    text, summary = run_bench(contacts=2000, messages=200, keep=True)
    # then
    assert set(KEYS) <= set(summary)
    assert (summary["contacts"], summary["messages"]) == (2000, 200)
    assert summary["freeze_matches_hand"] is True
    assert sum(summary["freeze_counts"].values()) == 2000
    assert {"queued", "suppressed:opted_out", "suppressed:frequency_cap"} <= set(
        summary["freeze_counts"]
    )
    assert summary["sent"] == summary["received"] == 200 and summary["duplicates"] == 0
    assert summary["sink"] == "minimal"
    assert summary["freeze_s"] > 0 and summary["send_s"] > 0 and summary["messages_per_s"] > 0
    assert "(a) freeze" in text and "(b) 200 messages sent by 2 worker processes" in text
    assert Contact.objects.count() == 2000
    assert Message.objects.filter(status="sent").count() == 200


def test_bench_dispatch_counts_what_aiosmtpd_received_with_sink_aiosmtpd():
    # when
    text, summary = run_bench(contacts=100, messages=20, sink="aiosmtpd")
    # then
    assert summary["sink"] == "aiosmtpd"
    assert summary["sent"] == summary["received"] == 20 and summary["duplicates"] == 0
    assert "SMTP sink (aiosmtpd) received 20" in text


def test_bench_dispatch_without_keep_leaves_no_data():
    # when
    run_bench(contacts=100, messages=10)
    # then
    assert not Partner.objects.exists()
    assert not Campaign.objects.exists()


def test_bench_dispatch_refuses_a_database_with_other_partners():
    # given
    PartnerFactory(external_id="CRM-1")
    # when / then
    with pytest.raises(CommandError, match="not benchmark data"):
        run_bench(contacts=100, messages=10)
    assert Partner.objects.filter(external_id="CRM-1").exists()
