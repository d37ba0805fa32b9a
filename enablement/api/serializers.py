"""Shape checks for the enablement API; business rules live in enablement.services.

Channel managers get the full objects (audiences, quiz answers); partner users get the
public shape: no audience, no quiz answers, no content they may not see.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from enablement.models import ContentItem, Enrollment, LearningPath, LearningStep, StepCompletion
from partners.models import Certification, Contact, ContactRole, Tier
from segments.models import Segment


def _segments_field() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        queryset=Segment.objects.all(),
        required=False,
        help_text="Slugs of segments whose members may see it (any of); empty = everyone.",
    )


def _min_tier_field() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Tier.objects.all(),
        allow_null=True,
        required=False,
        help_text="Tier slug: partners of this tier rank or better; null = every tier.",
    )


def _roles_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=ContactRole.choices),
        required=False,
        help_text="Contact roles that may see it; empty = every role.",
    )


# ---------------------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------------------


class ContentItemReadSerializer(serializers.ModelSerializer):
    """A content item as a partner user sees it; the file only through download_url."""

    body_html = serializers.CharField(
        read_only=True, help_text="The rich-text body as sanitised HTML."
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ContentItem
        fields = [
            "id",
            "kind",
            "title",
            "slug",
            "summary",
            "product_group",
            "business_unit",
            "target_market",
            "url",
            "body",
            "body_html",
            "has_file",
            "file_name",
            "download_url",
            "published_at",
            "expires_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))  # null: no file, a link
    def get_download_url(self, item: ContentItem) -> str | None:
        if not item.file:
            return None
        path = reverse("enablement:content-download", args=[item.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ContentItemSerializer(ContentItemReadSerializer):
    """A content item for channel managers: exactly one of file (multipart), url or body,
    and its audience."""

    slug = serializers.SlugField(max_length=100, required=False)
    file = serializers.FileField(
        write_only=True,
        required=False,
        allow_null=True,
        help_text="Upload (multipart); size and type are checked. null clears it.",
    )
    segments = _segments_field()
    min_tier = _min_tier_field()
    roles = _roles_field()

    class Meta(ContentItemReadSerializer.Meta):
        fields = [
            *ContentItemReadSerializer.Meta.fields,
            "file",
            "segments",
            "min_tier",
            "roles",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "body_html",
            "has_file",
            "file_name",
            "download_url",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"url": {"allow_blank": True}, "body": {"allow_blank": True}}


# ---------------------------------------------------------------------------------------
# Learning paths and steps
# ---------------------------------------------------------------------------------------


class LearningStepSerializer(serializers.ModelSerializer):
    """A step for channel managers, quiz answers included."""

    quiz = serializers.JSONField(
        required=False,
        help_text='[{"question": "…", "options": ["…", "…"], "answer_index": 0}]; [] = no quiz.',
    )

    class Meta:
        model = LearningStep
        fields = ["id", "path", "order", "title", "content", "quiz", "pass_mark"]


class QuizQuestionPublicSerializer(serializers.Serializer):
    """A quiz question as a partner user sees it: no answer."""

    question = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())


class LearningStepPublicSerializer(serializers.ModelSerializer):
    """A step as a partner user sees it: questions without answers; content only if they may
    see it (context["visible_content_ids"])."""

    title = serializers.SerializerMethodField()
    content = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    class Meta:
        model = LearningStep
        fields = ["id", "order", "title", "content", "has_quiz", "questions", "pass_mark"]

    def _visible(self, step: LearningStep) -> bool:
        return step.content_id in self.context.get("visible_content_ids", ())

    def get_title(self, step: LearningStep) -> str:
        if step.title or not self._visible(step):
            return step.title
        return step.content.title

    @extend_schema_field(serializers.IntegerField(allow_null=True))  # null: not theirs to see
    def get_content(self, step: LearningStep) -> int | None:
        return step.content_id if self._visible(step) else None

    @extend_schema_field(QuizQuestionPublicSerializer(many=True))
    def get_questions(self, step: LearningStep) -> list[dict]:
        return [{"question": item["question"], "options": item["options"]} for item in step.quiz]


class LearningPathPublicSerializer(serializers.ModelSerializer):
    awards_certification = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    steps = LearningStepPublicSerializer(many=True, read_only=True)

    class Meta:
        model = LearningPath
        fields = ["id", "title", "slug", "description", "awards_certification", "due_days", "steps"]
        read_only_fields = fields


class LearningPathSerializer(serializers.ModelSerializer):
    """A path for channel managers; steps are listed here and edited at /api/learning-steps/."""

    slug = serializers.SlugField(max_length=100, required=False)
    segments = _segments_field()
    min_tier = _min_tier_field()
    roles = _roles_field()
    awards_certification = serializers.SlugRelatedField(
        slug_field="slug", queryset=Certification.objects.all(), allow_null=True, required=False
    )
    auto_enrol_segment = serializers.SlugRelatedField(
        slug_field="slug", queryset=Segment.objects.all(), allow_null=True, required=False
    )
    steps = LearningStepSerializer(many=True, read_only=True)

    class Meta:
        model = LearningPath
        fields = [
            "id",
            "title",
            "slug",
            "description",
            "segments",
            "min_tier",
            "roles",
            "awards_certification",
            "auto_enrol_segment",
            "due_days",
            "is_active",
            "steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "steps", "created_at", "updated_at"]


# ---------------------------------------------------------------------------------------
# Enrolments
# ---------------------------------------------------------------------------------------


class StepCompletionSerializer(serializers.ModelSerializer):
    class Meta:
        model = StepCompletion
        fields = ["step", "completed_at", "score"]


class EnrollmentSerializer(serializers.ModelSerializer):
    """An enrolment. Managers give any contact; a partner user's is always their own, in a
    path they may see (the view narrows `path` to those)."""

    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all())
    partner = serializers.IntegerField(source="contact.partner_id", read_only=True)
    path = serializers.PrimaryKeyRelatedField(queryset=LearningPath.objects.filter(is_active=True))
    path_title = serializers.CharField(source="path.title", read_only=True)
    completions = StepCompletionSerializer(many=True, read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "contact",
            "partner",
            "path",
            "path_title",
            "enrolled_at",
            "due_at",
            "completed_at",
            "progress_pct",
            "source",
            "completions",
        ]
        read_only_fields = [
            "id",
            "enrolled_at",
            "due_at",
            "completed_at",
            "progress_pct",
            "source",
        ]


class SelfEnrollmentSerializer(EnrollmentSerializer):
    contact = serializers.PrimaryKeyRelatedField(read_only=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        paths = self.context.get("visible_paths")
        if paths is not None:
            self.fields["path"].queryset = paths


class CompleteStepSerializer(serializers.Serializer):
    step = serializers.IntegerField(min_value=1)
    answers = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        allow_null=True,
        help_text="For a quiz: the chosen option index of each question, in order.",
    )


class CompleteStepResultSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)
    enrollment = EnrollmentSerializer()


class CompleteStepRefusedSerializer(serializers.Serializer):
    """Why a step was not completed (nothing was saved): the messages by field name, as any
    invalid input, and for a quiz answered below its pass mark also the score and the mark."""

    detail = serializers.CharField(
        required=False, help_text="The request refused as a whole (a body that is not JSON)."
    )
    step = serializers.ListField(child=serializers.CharField(), required=False)
    answers = serializers.JSONField(
        required=False,
        help_text="Messages: a list, or by answer position when single answers are invalid.",
    )
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    score = serializers.FloatField(required=False, help_text="Quiz failed: the score in %.")
    pass_mark = serializers.IntegerField(required=False, help_text="Quiz failed: % needed.")


# ---------------------------------------------------------------------------------------
# Certifications
# ---------------------------------------------------------------------------------------


class CertificationSerializer(serializers.ModelSerializer):
    skills = serializers.ListField(child=serializers.CharField(max_length=100), required=False)

    class Meta:
        model = Certification
        fields = ["id", "slug", "name", "description", "validity_days", "skills"]
