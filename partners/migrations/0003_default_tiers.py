"""The default partner program: registered < silver < gold < platinum (editable afterwards)."""

from decimal import Decimal

from django.db import migrations

DEFAULT_TIERS = [
    {
        "slug": "registered",
        "name": "Registered",
        "rank": 1,
        "min_revenue_12m": None,
        "min_deals_won_12m": None,
        "min_active_certifications": None,
        "benefits": ["Partner portal", "Deal registration", "Onboarding training"],
    },
    {
        "slug": "silver",
        "name": "Silver",
        "rank": 2,
        "min_revenue_12m": Decimal("250000"),
        "min_deals_won_12m": 5,
        "min_active_certifications": 1,
        "benefits": ["10% discount", "Marketing development funds", "Sales training"],
    },
    {
        "slug": "gold",
        "name": "Gold",
        "rank": 3,
        "min_revenue_12m": Decimal("1000000"),
        "min_deals_won_12m": 20,
        "min_active_certifications": 2,
        "benefits": ["20% discount", "Partner account manager", "Co-marketing campaigns"],
    },
    {
        "slug": "platinum",
        "name": "Platinum",
        "rank": 4,
        "min_revenue_12m": Decimal("5000000"),
        "min_deals_won_12m": 50,
        "min_active_certifications": 3,
        "benefits": ["30% discount", "Executive sponsor", "Early access to roadmaps"],
    },
]


def create_default_tiers(apps, schema_editor):
    Tier = apps.get_model("partners", "Tier")
    for tier in DEFAULT_TIERS:
        Tier.objects.update_or_create(slug=tier["slug"], defaults=tier)


def delete_default_tiers(apps, schema_editor):
    Tier = apps.get_model("partners", "Tier")
    Tier.objects.filter(slug__in=[tier["slug"] for tier in DEFAULT_TIERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_postgres_search_indexes")]

    operations = [migrations.RunPython(create_default_tiers, delete_default_tiers)]
