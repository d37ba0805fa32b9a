"""Deals API: thin viewsets over deals.services (writes) and deals.selectors (reads).

Channel managers see and decide on every registration; partner users register, submit,
withdraw, close and ask for extensions of their own company's only (partners.scoping), and
get the partner shape of a registration (no other partner's name or deal in a conflict)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from deals import services
from deals.api.serializers import (
    AccountDetailSerializer,
    BulkDecisionSerializer,
    DealDetailSerializer,
    DealInputSerializer,
    DealSerializer,
    ExtensionRequestSerializer,
    IncentivePreviewInputSerializer,
    IncentivePreviewSerializer,
    IncentiveRuleSerializer,
    PartnerDealDetailSerializer,
    PartnerDealSerializer,
    ReasonSerializer,
    StateConflictSerializer,
)
from deals.exports import deals_export_response
from deals.filters import DealFilterSet
from deals.incentives import incentive_resolve
from deals.models import Account, DealConflict, DealRegistration, DealTransition, IncentiveRule
from deals.selectors import account_list, incentive_rule_list
from partners.api.permissions import IsManagerOrPartnerUser, request_contact
from partners.models import Contact
from partners.scoping import scoped
from prm.api.schema import AnyOfSerializer


class StateConflict(APIException):
    """HTTP 409 {"detail", "state"}: the registration's state does not allow the action."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_transition"

    def __init__(self, detail: str, *, state: str) -> None:
        super().__init__(detail)
        self.detail = {"detail": detail, "state": state}


def _api_errors(error: DjangoValidationError) -> dict | list:
    """A service's errors under the API's names: the customer's fields nested under
    `account` (as DRF nests its own), the technologies as `products`."""
    if not hasattr(error, "error_dict"):
        return error.messages
    errors: dict = {}
    for name, messages in error.message_dict.items():
        if name.startswith("account_"):
            errors.setdefault("account", {})[name.removeprefix("account_")] = messages
        else:
            errors["products" if name == "technologies" else name] = messages
    return errors


def _any(manager, partner, name: str, many: bool = False) -> AnyOfSerializer:
    return AnyOfSerializer(
        component_name=name,
        serializers=[manager, partner],
        resource_type_field_name=None,
        many=many,
    )


DEAL_ANSWER = _any(DealDetailSerializer, PartnerDealDetailSerializer, "DealRegistrationAny")
TRANSITION_RESPONSES = {200: DEAL_ANSWER, 409: StateConflictSerializer}


def _transition_schema(request=None, summary: str = ""):
    return extend_schema(request=request, responses=TRANSITION_RESPONSES, summary=summary)


@extend_schema_view(
    list=extend_schema(
        responses=_any(DealSerializer, PartnerDealSerializer, "DealRegistrationListAny", many=True)
    ),
    retrieve=extend_schema(responses=DEAL_ANSWER),
    create=extend_schema(
        request=DealInputSerializer, responses={201: DEAL_ANSWER, 409: StateConflictSerializer}
    ),
    partial_update=extend_schema(
        request=DealInputSerializer, responses={200: DEAL_ANSWER, 409: StateConflictSerializer}
    ),
)
class DealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Deal registrations: register (a draft, or submitted at once), edit a draft, and every
    transition as an action; the incentive a deal would get, and the list as CSV."""

    permission_classes = [IsManagerOrPartnerUser]
    partner_actions = frozenset(
        {
            "create",
            "partial_update",
            "submit",
            "withdraw",
            "extend",
            "won",
            "lost",
            "incentive_preview",
        }
    )
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = DealRegistration.objects.all()  # the model, for the schema; see get_queryset
    filter_backends = [DjangoFilterBackend]
    filterset_class = DealFilterSet

    @property
    def contact(self) -> Contact | None:
        return request_contact(self.request)

    def get_queryset(self):
        deals = DealRegistration.objects.all()
        contact = self.contact
        if contact is not None:
            deals = scoped(deals, partner=contact.partner)
        conflicts = DealConflict.objects.select_related("competing__partner").order_by(
            "-similarity", "id"
        )
        deals = deals.prefetch_related("technologies", Prefetch("conflicts", queryset=conflicts))
        if self.action != "list" and self.action != "export":
            deals = deals.select_related("decided_by").prefetch_related(
                Prefetch(
                    "transitions",
                    queryset=DealTransition.objects.select_related("actor").order_by("at", "id"),
                )
            )
        return deals

    def get_serializer_class(self):
        partner = self.contact is not None
        if self.action == "list":
            return PartnerDealSerializer if partner else DealSerializer
        return PartnerDealDetailSerializer if partner else DealDetailSerializer

    def _answer(self, deal: DealRegistration, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.filter_queryset(self.get_queryset()).get(pk=deal.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def _call(self, service, **kwargs) -> DealRegistration:
        try:
            return service(**kwargs)
        except services.DealTransitionError as error:
            raise StateConflict(error.detail, state=error.state) from error
        except DjangoValidationError as error:
            raise ValidationError(_api_errors(error)) from error

    def _body(self, serializer_class) -> dict:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    # -- registering ---------------------------------------------------------------------

    def create(self, request: Request, *args, **kwargs) -> Response:
        """Register a deal: a draft, or submitted at once with `submit: true`."""
        body = DealInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contact = self.contact
        partner = body.validated_data.get("partner")
        if contact is not None:
            partner = partner or contact.partner
        elif partner is None:
            raise ValidationError({"partner": ["Name the partner the deal is registered for."]})
        deal = self._call(
            services.deal_create,
            partner=partner,
            user=request.user,
            submit=body.validated_data["submit"],
            **body.to_service_kwargs(),
        )
        return self._answer(deal, status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        """Change a draft (any of the fields of a registration but its partner)."""
        deal = self.get_object()
        body = DealInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        if "partner" in body.validated_data:
            raise ValidationError({"partner": ["A registration's partner cannot be changed."]})
        deal = self._call(
            services.deal_update, deal=deal, user=request.user, **body.to_service_kwargs()
        )
        return self._answer(deal)

    # -- transitions ---------------------------------------------------------------------

    @_transition_schema(summary="Submit a draft for review (conflicts checked, SLA started)")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk=None) -> Response:
        deal = self._call(services.deal_submit, deal=self.get_object(), user=request.user)
        return self._answer(deal)

    @_transition_schema(ReasonSerializer, "Approve (locks the incentive in); managers")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        deal = self.get_object()
        reason = self._body(ReasonSerializer)["reason"]
        return self._answer(
            self._call(services.deal_approve, deal=deal, user=request.user, reason=reason)
        )

    @_transition_schema(ReasonSerializer, "Reject with a reason the partner is told; managers")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        deal = self.get_object()
        reason = self._body(ReasonSerializer)["reason"]
        return self._answer(
            self._call(services.deal_reject, deal=deal, user=request.user, reason=reason)
        )

    @_transition_schema(ReasonSerializer, "Withdraw a registration still under review")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk=None) -> Response:
        deal = self.get_object()
        reason = self._body(ReasonSerializer)["reason"]
        return self._answer(
            self._call(services.deal_withdraw, deal=deal, user=request.user, reason=reason)
        )

    @_transition_schema(ReasonSerializer, "Mark an approved registration won")
    @action(detail=True, methods=["post"])
    def won(self, request: Request, pk=None) -> Response:
        deal = self.get_object()
        reason = self._body(ReasonSerializer)["reason"]
        return self._answer(
            self._call(services.deal_mark_won, deal=deal, user=request.user, reason=reason)
        )

    @_transition_schema(ReasonSerializer, "Mark an approved registration lost")
    @action(detail=True, methods=["post"])
    def lost(self, request: Request, pk=None) -> Response:
        deal = self.get_object()
        reason = self._body(ReasonSerializer)["reason"]
        return self._answer(
            self._call(services.deal_mark_lost, deal=deal, user=request.user, reason=reason)
        )

    @_transition_schema(ExtensionRequestSerializer, "Ask once for more protection")
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk=None) -> Response:
        deal = self.get_object()
        body = self._body(ExtensionRequestSerializer)
        return self._answer(
            self._call(services.deal_extension_request, deal=deal, user=request.user, **body)
        )

    @_transition_schema(ReasonSerializer, "Grant the extension asked for; managers")
    @action(detail=True, methods=["post"], url_path="extension-approve")
    def extension_approve(self, request: Request, pk=None) -> Response:
        deal = self.get_object()
        reason = self._body(ReasonSerializer)["reason"]
        return self._answer(
            self._call(services.deal_extension_approve, deal=deal, user=request.user, reason=reason)
        )

    @_transition_schema(ReasonSerializer, "Refuse the extension asked for, with a reason; managers")
    @action(detail=True, methods=["post"], url_path="extension-reject")
    def extension_reject(self, request: Request, pk=None) -> Response:
        deal = self.get_object()
        reason = self._body(ReasonSerializer)["reason"]
        return self._answer(
            self._call(services.deal_extension_reject, deal=deal, user=request.user, reason=reason)
        )

    @extend_schema(
        request=BulkDecisionSerializer,
        responses={200: DealSerializer(many=True), 409: StateConflictSerializer},
        summary="Approve or reject many submitted registrations, all or none; managers",
    )
    @action(detail=False, methods=["post"])
    def decide(self, request: Request) -> Response:
        body = self._body(BulkDecisionSerializer)
        decided = self._call(
            services.deals_bulk_decide,
            deal_ids=body["ids"],
            user=request.user,
            decision=body["decision"],
            reason=body["reason"],
        )
        rows = self.filter_queryset(self.get_queryset()).filter(pk__in=[d.pk for d in decided])
        return Response(DealSerializer(rows, many=True).data)

    # -- reads ---------------------------------------------------------------------------

    @extend_schema(
        request=IncentivePreviewInputSerializer,
        responses=IncentivePreviewSerializer,
        summary="The incentive submitting this deal now would lock in",
    )
    @action(detail=False, methods=["post"], url_path="incentive-preview")
    def incentive_preview(self, request: Request) -> Response:
        body = self._body(IncentivePreviewInputSerializer)
        contact = self.contact
        partner = body.get("partner")
        if contact is not None:
            if partner is not None and partner.pk != contact.partner_id:
                raise ValidationError(
                    {"partner": ["You can preview your own company's deals only."]}
                )
            partner = contact.partner
        elif partner is None:
            raise ValidationError({"partner": ["Name the partner whose deal this is."]})
        currency = body["currency"].strip().upper()
        quote = incentive_resolve(partner=partner, amount=body["amount"], currency=currency)
        if quote is None:
            return Response({"matches": False, "incentive": None, "auto_approves": False})
        explanation = quote.explanation
        if contact is not None:  # the other rules may name segments the partner must not see
            explanation = {k: v for k, v in explanation.items() if k != "candidates"}
        incentive = {
            "rule": quote.rule.pk,
            "rule_name": quote.rule.name,
            "discount_pct": quote.discount_pct,
            "rebate_pct": quote.rebate_pct,
            "protection_days": quote.protection_days,
            "auto_approve_below": quote.auto_approve_below,
            "locked": False,
            "why": explanation["why"],
            "explanation": explanation,
        }
        return Response(
            IncentivePreviewSerializer(
                {
                    "matches": True,
                    "incentive": incentive,
                    "auto_approves": quote.auto_approves(body["amount"]),
                }
            ).data
        )

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("page", OpenApiTypes.INT, exclude=True)],
        summary="The filtered list as CSV (every row, not a page)",
    )
    @action(detail=False, methods=["get"], url_path="export", pagination_class=None)
    def export(self, request: Request):
        return deals_export_response(queryset=self.filter_queryset(self.get_queryset()))


class AccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """End customers (managers): found and created by registrations; here listed, searched,
    filtered by country or domain, and corrected (PATCH). Not for partner users: the list of
    customers is every partner's."""

    serializer_class = AccountDetailSerializer
    queryset = Account.objects.all()  # the model, for the schema; see get_queryset
    http_method_names = ["get", "patch", "head", "options"]
    filterset_fields = ["country", "domain"]
    search_fields = ["name", "normalized_name", "domain"]
    ordering_fields = ["id", "name", "created_at", "deal_count", "open_deal_count"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return account_list()

    def perform_update(self, serializer):
        data = serializer.validated_data
        account = services.account_update(
            account=serializer.instance, fields=frozenset(data), **data
        )
        serializer.instance = account_list().get(pk=account.pk)


class IncentiveRuleViewSet(viewsets.ModelViewSet):
    """Incentive rules (managers): who a rule is for (segment, tier, or any), its deal size
    band, and what it gives. Changing one never alters approved registrations."""

    serializer_class = IncentiveRuleSerializer
    queryset = IncentiveRule.objects.all()  # the model, for the schema; see get_queryset
    search_fields = ["name"]
    ordering_fields = ["id", "name", "priority", "min_amount", "created_at"]
    ordering = ["-priority", "id"]

    def get_queryset(self):
        return incentive_rule_list()

    def perform_create(self, serializer):
        serializer.instance = services.incentive_rule_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.incentive_rule_update(
            rule=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        instance.delete()
