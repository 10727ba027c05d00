"""Control-plane wire models (proto3 JSON, lowerCamelCase) for §4.3–4.6.

Every field is optional and unknown keys are kept, so new server fields never break a screen.
uint64 counters that arrive as decimal strings are parsed to `int`. Timestamps stay RFC 3339
strings: the UI formats them, and a surprising format must not make a whole list unreadable.
Fields holding secrets are left out of `repr()` so they cannot leak into logs by accident.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from tm_tui.api.models.base import CamelModel
from tm_tui.api.models.money import Money

# --- users and API keys (§4.3) --------------------------------------------------------------------


class User(CamelModel):
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    user_email: str | None = None
    auth_provider: str | None = None
    auth_provider_id: str | None = None
    avatar_url: str | None = None
    stripe_cus_id: str | None = None
    user_role: str | None = None
    company: str | None = None
    tos_accepted_at: str | None = None
    survey_completed_at: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_api_key(cls, data: Any) -> Any:
        # A user payload may carry a key; like the SDK we never keep it.
        if isinstance(data, dict) and "apiKey" in data:
            data = {k: v for k, v in data.items() if k != "apiKey"}
        return data


class UserUpdate(CamelModel):
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    company: str | None = None


class ApiKey(CamelModel):
    """`id` is, in practice, the bearer secret itself (reference §2)."""

    id: str | None = Field(default=None, repr=False)
    name: str | None = None
    scopes: list[str] = []
    created_at: str | None = None
    expires_at: str | None = None
    deleted_at: str | None = None


# --- billing (§4.4) -----------------------------------------------------------------------------


class BillingAddress(CamelModel):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    company: str | None = None
    phone: str | None = None
    name: str | None = None


class BillingTransaction(CamelModel):
    transaction_id: str | None = None
    stripe_payment_intent_id: str | None = None
    payment_method_id: str | None = None
    created_at: str | None = None
    amount: Money | None = None
    description: str | None = None
    status: str | None = None
    type: str | None = None
    details: dict[str, Any] | None = None


class TransactionsPage(CamelModel):
    transactions: list[BillingTransaction]
    next_page_token: str | None = None


class SpendingSummary(CamelModel):
    spend24h: Money | None = Field(default=None, alias="spend24h")
    spend7d: Money | None = Field(default=None, alias="spend7d")
    spend30d: Money | None = Field(default=None, alias="spend30d")


class SpendingBucket(CamelModel):
    bucket_start: str | None = None
    amount: Money | None = None
    cost_saving: Money | None = None


class UsageRow(CamelModel):
    """One `ServerlessUsageHistoryRow`; the uint64 counts arrive as strings."""

    bucket_start: str | None = None
    model_id: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    request_count: int = 0


class ServerlessPricing(CamelModel):
    """Token prices are per 1,000,000 tokens; `model` is the inference model name."""

    id: str | None = None
    name: str | None = None
    model: str | None = None
    input_token_price: Money | None = None
    output_token_price: Money | None = None
    cached_token_price: Money | None = None
    is_active: bool | None = None


class GpuPricing(CamelModel):
    gpu_type: str | None = None
    cloud_provider: str | None = None
    hourly_rate: Money | None = None
    is_active: bool | None = None


class PaymentMethod(CamelModel):
    stripe_payment_method_id: str | None = None
    type: str | None = None
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    is_default: bool | None = None


class PaymentMethods(CamelModel):
    stripe_payment_method_ids: list[str] = []
    payment_methods: list[PaymentMethod] = []


class IntentSecret(CamelModel):
    """Reply of payment-intent and setup-intent creation; `client_secret` goes to Stripe only."""

    stripe_payment_intent_id: str | None = None
    stripe_setup_intent_id: str | None = None
    client_secret: str | None = Field(default=None, repr=False)


# --- support, products, activities, observability (§4.5) ----------------------------------------


class ConversationMessage(CamelModel):
    user_id: str | None = None
    user_name: str | None = None
    user_role: str | None = None
    content: str | None = None
    created_at: str | None = None


class Ticket(CamelModel):
    ticket_id: str | None = None
    subject: str | None = None
    requester_user_id: str | None = None
    status: str | None = None
    type: str | None = None
    conversations: list[ConversationMessage] = []
    created_at: str | None = None
    updated_at: str | None = None


class NumberedPage(CamelModel):
    """Numbered (1-based) paging metadata; values may arrive as ints or numeric strings."""

    page: int | None = None
    size: int | None = None
    total: int | None = None


class TicketsPage(NumberedPage):
    tickets: list[Ticket]
    next_page_token: str | None = None


class ReservedDeploymentRequest(CamelModel):
    full_name: str | None = None
    work_email: str | None = None
    company: str | None = None
    job_title: str | None = None
    preferred_gpu: str | None = None
    total_gpus_needed: str | None = None
    deployment_timeline: str | None = None
    workload_use_case: str | None = None
    networking_storage: str | None = None
    other_notes: str | None = None


class Product(CamelModel):
    id: str | None = None
    name: str | None = None
    required_gpu_num: int | None = None
    family: str | None = None
    is_active: bool | None = None
    spec: dict[str, Any] | None = None


class Activity(CamelModel):
    activity_id: str | None = None
    actor_type: str | None = None
    user_id: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    occurred_at: str | None = None
    recorded_at: str | None = None
    actor_id: str | None = None
    actor_display: str | None = None


class ActivitiesPage(NumberedPage):
    activities: list[Activity]


class MetricPoint(CamelModel):
    timestamp: str | None = None
    value: float | None = None


class Metric(CamelModel):
    name: str | None = None
    data: list[MetricPoint] = []


class LogEntry(CamelModel):
    timestamp: str | None = None
    message: str | None = None


# --- deployments: the control plane's `/v1/models` (§4.6) ---------------------------------------


class InfraConfig(CamelModel):
    cloud_provider: str | None = None
    nebius_region: str | None = None
    lambda_region: str | None = None
    onprem_region: str | None = None


class DeploymentEvent(CamelModel):
    created_at: str | None = None
    log: str | None = None
    event_type: str | None = None


class Deployment(CamelModel):
    """A control-plane model record; `api_key` is the bearer key of its on-demand endpoint."""

    model_id: str | None = None
    deployment_id: str | None = None
    user_id: str | None = None
    description: str | None = None
    model_path: str | None = None
    model_name: str | None = None
    status: str | None = None
    events: list[DeploymentEvent] = []
    created_at: str | None = None
    updated_at: str | None = None
    model_spec: dict[str, Any] | None = None
    infra: InfraConfig | None = None
    gpu_count: int | None = None
    gpu_type: str | None = None
    replicas: int | None = None
    endpoint: str | None = None
    api_key: str | None = Field(default=None, repr=False)

    @property
    def inference_name(self) -> str | None:
        """The `model` string on-demand inference expects: `modelName`, else `deploymentId`."""
        return self.model_name or self.deployment_id


class DeployModelRequest(CamelModel):
    model_name: str | None = None
    user_id: str | None = None
    description: str | None = None
    infra: InfraConfig | None = None
    model_path: str | None = None
    gpu_count: int | None = None
    gpu_type: str | None = None
    model_spec: dict[str, Any] | None = None
    api_key: str | None = Field(default=None, repr=False)
    hf_token: str | None = Field(default=None, repr=False)
    kv_cache_enabled: bool | None = None
    cpu_offloading_enabled: bool | None = None
    node_id: str | None = None


class ModelCheck(CamelModel):
    required_gpu_memory_gib: float | None = None
    required_lm_cache_memory_gib: float | None = None
