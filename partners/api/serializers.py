"""Shape checks for the partners API; business rules live in partners.services."""

from __future__ import annotations

from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from partners.models import Contact, Partner, PartnerCertification, Tier


class SlugListField(serializers.ListField):
    """A list of tag slugs: written as slugs, read from the list with_list_profile prefetched
    (`<name>_list`, e.g. industry_list) or else from the related manager."""

    child = serializers.SlugField(max_length=64)
    prefetched_lists = {"industries": "industry_list", "technologies": "technology_list"}

    def get_attribute(self, instance):
        prefetched = getattr(instance, self.prefetched_lists.get(self.field_name, ""), None)
        if prefetched is not None:
            return prefetched
        return super().get_attribute(instance).all()

    def to_representation(self, value) -> list[str]:
        return [tag.slug for tag in value]


class ActiveCertificationSlugsField(SlugListField):
    """Slugs of the partner's unexpired certifications (prefetched by with_profile)."""

    def get_attribute(self, instance: Partner):
        return [award.certification for award in instance.active_certifications]

    def to_representation(self, value) -> list[str]:
        return [certification.slug for certification in value]


class PartnerCertificationSerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="certification.slug")
    name = serializers.CharField(source="certification.name")

    class Meta:
        model = PartnerCertification
        fields = ["slug", "name", "earned_at", "expires_at"]


class PartnerSerializer(serializers.ModelSerializer):
    """A partner profile: tags as lists of slugs, tier as its slug, country ISO alpha-2."""

    tier = serializers.SlugRelatedField(
        slug_field="slug", queryset=Tier.objects.all(), allow_null=True, required=False
    )
    country = CountryField(allow_null=True, required=False)
    industries = SlugListField(required=False)
    technologies = SlugListField(required=False)
    certifications = ActiveCertificationSlugsField(
        required=False, help_text="Slugs of the partner's active certifications."
    )
    certification_details = PartnerCertificationSerializer(
        source="active_certifications", many=True, read_only=True
    )

    class Meta:
        model = Partner
        fields = [
            "id",
            "external_id",
            "name",
            "partner_type",
            "tier",
            "region",
            "country",
            "employee_count",
            "annual_revenue",
            "lifecycle_stage",
            "joined_at",
            "tech_savviness",
            "industries",
            "technologies",
            "certifications",
            "certification_details",
            "revenue_12m",
            "deals_won_12m",
            "engagement_score",
            "last_activity_at",
            "attributes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_attributes(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected an object of key/value pairs.")
        return value

    def validate(self, attrs: dict) -> dict:
        for field in ("industries", "technologies", "certifications"):
            if field in attrs:
                attrs[field] = sorted({slug.lower() for slug in attrs[field]})
        return attrs


class ContactSerializer(serializers.ModelSerializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all())
    partner_external_id = serializers.CharField(source="partner.external_id", read_only=True)
    interests = serializers.ListField(child=serializers.SlugField(max_length=64), required=False)

    class Meta:
        model = Contact
        fields = [
            "id",
            "partner",
            "partner_external_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "role",
            "interests",
            "language",
            "email_opt_in",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        others = Contact.objects.filter(email=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("A contact with this e-mail already exists.")
        return value


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .csv or .xlsx file in the documented columns.")


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportErrorsSerializer(serializers.Serializer):
    errors = ImportErrorSerializer(many=True)
