"""Deterministic demo data for the emulator's control plane.

Everything comes from one fixed random seed and dates relative to a `now` the caller may pin, so two
emulators started with the same `now` serve byte-identical data. The figures agree with each other the
way the real service's do: monthly serverless charges are the sum of the daily usage rows, spending
history is the same days' cost, and the balance is the running total of the settled ledger entries
(a failed or refunded payment and the pending month-to-date charge leave it alone).

Records are stored in their wire shape (lowerCamelCase dicts) because the control plane serves them as
they are; only the daily usage table stays numeric so it can be re-bucketed for any window.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from tm_tui.emulator.catalog import ON_DEMAND_MODELS, SERVERLESS_MODELS, ServerlessModel
from tm_tui.emulator.state import DEMO_DEPLOYMENT_KEY, DEMO_INFERENCE_KEY

SEED = 20260301
ACCOUNT_AGE_DAYS = 720
SPENDING_HISTORY_DAYS = 90
# A team's serverless traffic (thousands of requests a day), so cache savings show beside GPU costs.
USAGE_SCALE = 250
RECHARGE_BELOW, RECHARGE_AMOUNT = 500, 500
ACTIVE_KEY_LIFETIME = timedelta(days=5 * 365)
NANOS = Decimal(1_000_000_000)
PER_MILLION = Decimal(1_000_000)

ROLE_USER = "USER_ROLE_USER"
ROLE_ADMIN = "USER_ROLE_ADMIN"
ROLE_SUPER_ADMIN = "USER_ROLE_SUPER_ADMIN"
USER_ROLES = (ROLE_USER, ROLE_ADMIN, ROLE_SUPER_ADMIN)

TICKET_OPEN = "TICKET_STATUS_OPEN"
TICKET_IN_PROGRESS = "TICKET_STATUS_IN_PROGRESS"
TICKET_CLOSED = "TICKET_STATUS_CLOSED"
TICKET_STATUSES = (TICKET_OPEN, TICKET_IN_PROGRESS, TICKET_CLOSED)
TICKET_TYPES = (
    "TICKET_TYPE_TECHNICAL",
    "TICKET_TYPE_BILLING",
    "TICKET_TYPE_ACCOUNT",
    "TICKET_TYPE_FEATURE_REQUEST",
)

STATUS_SUCCEEDED = "TRANSACTION_STATUS_SUCCEEDED"
STATUS_PENDING = "TRANSACTION_STATUS_PENDING"
STATUS_FAILED = "TRANSACTION_STATUS_FAILED"
STATUS_REFUNDED = "TRANSACTION_STATUS_REFUNDED"

MODEL_UP = "MODEL_STATUS_UP"
MODEL_PENDING = "MODEL_STATUS_PENDING"
MODEL_FAILED = "MODEL_STATUS_FAILED"
MODEL_DELETED = "MODEL_STATUS_DELETED"

PROVIDER_REGION_KEYS = {
    "CLOUD_PROVIDER_NEBIUS": "nebiusRegion",
    "CLOUD_PROVIDER_LAMBDA": "lambdaRegion",
    "CLOUD_PROVIDER_YOTTA": "onpremRegion",
}
PROVIDER_ENDPOINTS = {
    "CLOUD_PROVIDER_NEBIUS": "https://external.nebius.tensormesh.ai",
    "CLOUD_PROVIDER_LAMBDA": "https://external.lambda.tensormesh.ai",
    "CLOUD_PROVIDER_YOTTA": "https://external.yotta.tensormesh.ai",
}
# USD per GPU-hour; (gpu, provider, rate, active).
GPU_RATES: tuple[tuple[str, str, str, bool], ...] = (
    ("GPU_TYPE_H100", "CLOUD_PROVIDER_NEBIUS", "2.95", True),
    ("GPU_TYPE_H100", "CLOUD_PROVIDER_LAMBDA", "2.49", True),
    ("GPU_TYPE_H200", "CLOUD_PROVIDER_NEBIUS", "3.50", True),
    ("GPU_TYPE_A100", "CLOUD_PROVIDER_LAMBDA", "1.29", True),
    ("GPU_TYPE_H100", "CLOUD_PROVIDER_YOTTA", "2.20", True),
    ("GPU_TYPE_L40S", "CLOUD_PROVIDER_NEBIUS", "1.05", False),
)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: Decimal | str | int, currency: str = "USD") -> dict:
    """proto `google.type.Money`: whole units as a decimal string plus nanos of the same sign."""
    value = Decimal(amount).quantize(Decimal(1) / NANOS)
    units = int(value)  # truncates toward zero, so nanos keeps the sign of units
    nanos = int((value - units) * NANOS)
    return {"currencyCode": currency, "units": str(units), "nanos": nanos}


def money_value(payload: object) -> Decimal:
    """Inverse of `money`, liberal: a Money object, or a bare number/string taken as whole units."""
    if isinstance(payload, dict):
        return Decimal(str(payload.get("units") or "0")) + Decimal(int(payload.get("nanos") or 0)) / NANOS
    if isinstance(payload, bool) or payload is None:
        raise ValueError("amount must be a Money object or a number")
    return Decimal(str(payload))


@dataclass
class UsageDay:
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    requests: int

    def cost(self, model: ServerlessModel) -> Decimal:
        cached_price = Decimal(model.cached_price) if model.cached_price else Decimal(model.input_price)
        uncached = self.input_tokens - self.cached_tokens
        return (
            uncached * Decimal(model.input_price)
            + self.cached_tokens * cached_price
            + self.output_tokens * Decimal(model.output_price)
        ) / PER_MILLION

    def saving(self, model: ServerlessModel) -> Decimal:
        # The CLI's counterfactual (tm cost): cached tokens valued at the full input rate.
        return self.cached_tokens * Decimal(model.input_price) / PER_MILLION


@dataclass
class SeedData:
    now: datetime
    profile: dict
    users: dict[str, dict]
    api_keys: list[dict]
    serverless_pricing: list[dict]
    gpu_pricing: list[dict]
    models: list[dict]
    usage: dict[tuple[date, str], UsageDay]
    transactions: list[dict]  # newest first
    balances: dict[str, Decimal]
    spending_days: list[tuple[date, Decimal, Decimal]]  # (day, amount, costSaving), oldest first
    address: dict
    payment_methods: list[dict]
    tickets: list[dict]  # newest first
    products: list[dict]
    activities: list[dict]  # newest first
    deployment_logs: dict[str, list[dict]]
    reserved_requests: list[dict] = field(default_factory=list)


def build_seed(
    user_id: str,
    *,
    now: datetime | None = None,
    transactions: int | None = None,
    tickets: int | None = None,
) -> SeedData:
    """`transactions` / `tickets`: pad the ledger / the ticket list with older entries up to that
    many (benchmarks of paging)."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(SEED)
    today = now.date()
    first_day = today - timedelta(days=ACCOUNT_AGE_DAYS)
    profile = _profile(user_id, now)
    users = {user_id: profile, **_other_users(rng, now)}
    models = _deployments(user_id, now)
    usage = _usage(rng, first_day, today)
    ledger, balance = _ledger(rng, now, first_day, models, usage)
    if transactions is not None:
        ledger = pad_ledger(ledger, transactions)
    return SeedData(
        now=now,
        profile=profile,
        users=users,
        api_keys=_api_keys(now),
        serverless_pricing=_serverless_pricing(),
        gpu_pricing=[
            {"gpuType": gpu, "cloudProvider": provider, "hourlyRate": money(rate), "isActive": active}
            for gpu, provider, rate, active in GPU_RATES
        ],
        models=models,
        usage=usage,
        transactions=ledger,
        balances={user_id: balance} | {uid: Decimal(rng.randint(0, 500)) for uid in users if uid != user_id},
        spending_days=_spending_days(today, models, usage),
        address={
            "line1": "12 Rue de Rivoli",
            "line2": "Apt 3",
            "city": "Paris",
            "state": "IDF",
            "postalCode": "75004",
            "country": "FR",
            "company": profile["company"],
            "phone": "+33 1 23 45 67 89",
            "name": "Ada Lovelace",
        },
        payment_methods=[
            _payment_method("pm_1NxAbcVisa4242", "visa", "4242", 12, today.year + 2, True),
            _payment_method("pm_1NxDefMc5454", "mastercard", "5454", 3, today.year + 1, False),
        ],
        tickets=pad_tickets(_tickets(rng, user_id, now), tickets or 0),
        products=_products(),
        activities=_activities(rng, user_id, now),
        deployment_logs={m["deploymentId"]: _deployment_logs(rng, m, now) for m in models},
    )


def _profile(user_id: str, now: datetime) -> dict:
    created = now - timedelta(days=ACCOUNT_AGE_DAYS)
    return {
        "id": user_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "displayName": "Ada L.",
        "userEmail": "ada@example.com",
        "authProvider": "google",
        "authProviderId": "108234987234",
        "avatarUrl": "https://example.com/a.png",
        "stripeCusId": "cus_Q1w2E3r4",
        "userRole": ROLE_USER,
        "company": "Analytical Engines Ltd",
        "tosAcceptedAt": rfc3339(created + timedelta(minutes=3)),
        "surveyCompletedAt": rfc3339(created + timedelta(minutes=5)),
    }


_FIRST_NAMES = ("Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken", "Margaret")
_LAST_NAMES = (
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Backus",
    "Perlman",
    "Thompson",
    "Hamilton",
)


def _other_users(rng: random.Random, now: datetime) -> dict[str, dict]:
    """Other accounts, only visible through the admin endpoints."""
    users = {}
    for i in range(42):
        first, last = _FIRST_NAMES[i % 10], _LAST_NAMES[(i * 3) % 10]
        uid = f"{rng.getrandbits(32):08x}-{i:04x}-4{rng.getrandbits(12):03x}-8{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}"
        users[uid] = {
            "id": uid,
            "firstName": first,
            "lastName": last,
            "displayName": f"{first} {last[0]}.",
            "userEmail": f"{first.lower()}.{last.lower()}{i}@example.com",
            "authProvider": "google" if i % 3 else "github",
            "userRole": ROLE_ADMIN if i == 0 else ROLE_USER,
            "company": f"{last} Labs",
            "tosAcceptedAt": rfc3339(now - timedelta(days=rng.randint(1, 700))),
        }
    return users


def _api_keys(now: datetime) -> list[dict]:
    # `id` is the bearer secret (reference §2); the expired and the deleted ones must not work.
    # Active keys last years, not months: whoever views the seed (the app's Account section, a test)
    # judges expiry by its own clock, which may run well past a pinned `now`, and the demo must
    # still show them active. The expired key only grows older under a later clock.
    return [
        _api_key(DEMO_INFERENCE_KEY, "demo", ["inference"], created=now - timedelta(days=40)),
        _api_key("tmk_live_9b1c2d3e4f5a6b7c", "laptop", ["inference"], created=now - timedelta(days=120)),
        {
            "id": "tmk_live_4c5d6e7f8a9b0c1d",
            "name": "ci-2025",
            "scopes": ["inference"],
            "createdAt": rfc3339(now - timedelta(days=400)),
            "expiresAt": rfc3339(now - timedelta(days=35)),
        },
        {
            "id": "tmk_live_0a1b2c3d4e5f6a7b",
            "name": "old-ci",
            "scopes": [],
            "createdAt": rfc3339(now - timedelta(days=600)),
            "deletedAt": rfc3339(now - timedelta(days=300)),
        },
    ]


def _api_key(key_id: str, name: str, scopes: list[str], *, created: datetime) -> dict:
    """An active key, valid for ACTIVE_KEY_LIFETIME from its creation."""
    expires = created + ACTIVE_KEY_LIFETIME
    return {
        "id": key_id,
        "name": name,
        "scopes": scopes,
        "createdAt": rfc3339(created),
        "expiresAt": rfc3339(expires),
    }


def _serverless_pricing() -> list[dict]:
    rows = []
    for i, m in enumerate(SERVERLESS_MODELS, start=1):
        row = {
            "id": f"spr_{i:02d}",
            "name": m.display_name,
            "model": m.name,
            "inputTokenPrice": money(m.input_price),
            "outputTokenPrice": money(m.output_price),
            "isActive": m.active,
        }
        if m.cached_price is not None:
            row["cachedTokenPrice"] = money(m.cached_price)
        rows.append(row)
    return rows


def _deployment(
    user_id: str,
    now: datetime,
    *,
    key: str,
    name: str,
    path: str,
    status: str,
    provider: str,
    region: str,
    gpu: str,
    gpu_count: int,
    age: timedelta,
    events: list[tuple[timedelta, str, str]],
) -> dict:
    created = now - age
    return deployment_record(
        key,
        user_id,
        name=name,
        path=path,
        description=f"{path.split('/')[-1]} deployment",
        status=status,
        infra={"cloudProvider": provider, PROVIDER_REGION_KEYS[provider]: region},
        gpu=gpu,
        gpu_count=gpu_count,
        model_spec={"maxModelLen": 32768},
        api_key=DEMO_DEPLOYMENT_KEY,
        events=[model_event(created + offset, log, kind) for offset, log, kind in events],
    )


def model_event(moment: datetime, log: str, kind: str) -> dict:
    return {"createdAt": rfc3339(moment), "log": log, "eventType": kind}


def deployment_record(
    key: str,
    user_id: str,
    *,
    name: str,
    path: str,
    description: str,
    status: str,
    infra: dict,
    gpu: str,
    gpu_count: int,
    model_spec: dict,
    api_key: str,
    events: list[dict],
) -> dict:
    """A deployment in its wire shape, created at its first event and last updated at its last."""
    return {
        "modelId": f"mdl_{key}",
        "deploymentId": f"dep_{key}",
        "userId": user_id,
        "description": description,
        "modelPath": path,
        "modelName": name,
        "status": status,
        "events": events,
        "createdAt": events[0]["createdAt"],
        "updatedAt": events[-1]["createdAt"],
        "modelSpec": model_spec,
        "infra": infra,
        "gpuCount": gpu_count,
        "gpuType": gpu,
        "replicas": 1 if status == MODEL_UP else 0,
        "endpoint": PROVIDER_ENDPOINTS[infra["cloudProvider"]],
        "apiKey": api_key,
    }


def _ready_events() -> list[tuple[timedelta, str, str]]:
    return [
        (timedelta(0), "Deployment requested", "MODEL_EVENT_TYPE_CREATED"),
        (timedelta(minutes=2), "GPU node scheduled", "MODEL_EVENT_TYPE_SCHEDULED"),
        (timedelta(minutes=9), "Weights downloaded", "MODEL_EVENT_TYPE_PULLED"),
        (timedelta(minutes=14), "Deployment ready", "MODEL_EVENT_TYPE_READY"),
    ]


def _deployments(user_id: str, now: datetime) -> list[dict]:
    llama, coder = ON_DEMAND_MODELS
    return [
        _deployment(
            user_id,
            now,
            key="01J2LLAMA8B",
            name=llama,
            path="meta-llama/Llama-3.1-8B-Instruct",
            status=MODEL_UP,
            provider="CLOUD_PROVIDER_NEBIUS",
            region="eu-north1",
            gpu="GPU_TYPE_H100",
            gpu_count=1,
            age=timedelta(days=600),
            events=_ready_events(),
        ),
        _deployment(
            user_id,
            now,
            key="01J9QWENCODER",
            name=coder,
            path="Qwen/Qwen2.5-Coder-32B-Instruct",
            status=MODEL_UP,
            provider="CLOUD_PROVIDER_LAMBDA",
            region="us-east-1",
            gpu="GPU_TYPE_A100",
            gpu_count=2,
            age=timedelta(days=240),
            events=_ready_events(),
        ),
        _deployment(
            user_id,
            now,
            key="01JAMISTRALNEMO",
            name="ada-mistral-nemo",
            path="mistralai/Mistral-Nemo-Instruct-2407",
            status=MODEL_PENDING,
            provider="CLOUD_PROVIDER_NEBIUS",
            region="eu-north1",
            gpu="GPU_TYPE_H100",
            gpu_count=1,
            age=timedelta(minutes=6),
            events=_ready_events()[:2]
            + [(timedelta(minutes=4), "Downloading weights (41%)", "MODEL_EVENT_TYPE_PULLING")],
        ),
        _deployment(
            user_id,
            now,
            key="01JBLLAMA70B",
            name="ada-llama-70b",
            path="meta-llama/Llama-3.3-70B-Instruct",
            status=MODEL_FAILED,
            provider="CLOUD_PROVIDER_LAMBDA",
            region="us-west-2",
            gpu="GPU_TYPE_H100",
            gpu_count=1,
            age=timedelta(days=3),
            events=_ready_events()[:3]
            + [
                (
                    timedelta(minutes=17),
                    "CUDA out of memory: 70B weights need 2 GPUs",
                    "MODEL_EVENT_TYPE_FAILED",
                )
            ],
        ),
        _deployment(
            user_id,
            now,
            key="01HZPHI3MINI",
            name="ada-phi3-mini",
            path="microsoft/Phi-3-mini-4k-instruct",
            status=MODEL_DELETED,
            provider="CLOUD_PROVIDER_NEBIUS",
            region="eu-north1",
            gpu="GPU_TYPE_L40S",
            gpu_count=1,
            age=timedelta(days=690),
            events=_ready_events()
            + [(timedelta(days=30), "Deployment deleted by user", "MODEL_EVENT_TYPE_DELETED")],
        ),
    ]


def _usage(rng: random.Random, first_day: date, today: date) -> dict[tuple[date, str], UsageDay]:
    """Daily serverless usage per model; the retired model stops a year ago, the newest starts later."""
    usage = {}
    for offset in range((today - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        weekday_factor = 0.45 if day.weekday() >= 5 else 1.0
        for index, model in enumerate(SERVERLESS_MODELS):
            if not model.active and (today - day).days < 365:
                continue
            if index == 0 and (today - day).days > 300:
                continue
            if rng.random() < 0.12:  # quiet day for this model
                continue
            requests = max(1, int(rng.randint(15, 320) * weekday_factor * USAGE_SCALE))
            input_tokens = requests * rng.randint(600, 2600)
            cached_share = rng.uniform(0.15, 0.65) if model.cached_price else 0.0
            usage[(day, model.name)] = UsageDay(
                input_tokens=input_tokens,
                output_tokens=requests * rng.randint(120, 650),
                cached_tokens=int(input_tokens * cached_share),
                requests=requests,
            )
    return usage


def _gpu_day_cost(model: dict) -> Decimal:
    provider, gpu = model["infra"]["cloudProvider"], model["gpuType"]
    rate = next(Decimal(r) for g, p, r, _ in GPU_RATES if g == gpu and p == provider)
    return rate * 24 * model["gpuCount"]


def _billed_deployments(models: list[dict], day: date) -> list[dict]:
    """UP deployments are billed for every full day they have existed (until today)."""
    return [
        m for m in models if m["status"] == MODEL_UP and datetime.fromisoformat(m["createdAt"]).date() < day
    ]


def _spending_days(today: date, models: list[dict], usage: dict) -> list[tuple[date, Decimal, Decimal]]:
    days = []
    for back in range(SPENDING_HISTORY_DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        amount, saving = Decimal(0), Decimal(0)
        for model in SERVERLESS_MODELS:
            row = usage.get((day, model.name))
            if row:
                amount += row.cost(model)
                saving += row.saving(model)
        amount += sum((_gpu_day_cost(m) for m in _billed_deployments(models, day)), Decimal(0))
        days.append((day, amount, saving))
    return days


def _usage_by_month(usage: dict) -> dict[tuple[int, int, str], list[UsageDay]]:
    months: dict[tuple[int, int, str], list[UsageDay]] = {}
    for (day, name), row in usage.items():
        months.setdefault((day.year, day.month, name), []).append(row)
    return months


def _month_details(months: dict, year: int, month: int) -> tuple[Decimal, dict]:
    total, details = Decimal(0), {}
    for model in SERVERLESS_MODELS:
        rows = months.get((year, month, model.name))
        if not rows:
            continue
        cost = sum((r.cost(model) for r in rows), Decimal(0)).quantize(Decimal("0.000001"))
        total += cost
        details[model.name] = {
            "name": model.name,
            "event_count": sum(r.requests for r in rows),
            "input_tokens": sum(r.input_tokens for r in rows),
            "output_tokens": sum(r.output_tokens for r in rows),
            "cached_tokens": sum(r.cached_tokens for r in rows),
            "total_amount": str(cost),
        }
    return total, {"models": details}


def _ledger(
    rng: random.Random, now: datetime, first_day: date, models: list[dict], usage: dict
) -> tuple[list[dict], Decimal]:
    """Walk the account's history day by day: auto-recharges, daily GPU charges, refunds, monthly
    serverless charges. Returns the transactions newest first and the resulting balance."""
    entries: list[dict] = []
    balance = Decimal(0)
    months = _usage_by_month(usage)

    def add(
        moment: datetime,
        amount: Decimal,
        kind: str,
        description: str,
        status: str = STATUS_SUCCEEDED,
        **extra: object,
    ) -> None:
        nonlocal balance
        if moment > now:
            return  # later today: not happened yet
        if status == STATUS_SUCCEEDED:  # a failed or refunded payment leaves the balance as it was
            balance += -amount if kind == "TRANSACTION_TYPE_CHARGE" else amount
        entries.append(
            {
                "transactionId": f"txn_{len(entries) + 1:06d}",
                "createdAt": rfc3339(moment),
                "amount": money(amount),
                "description": description,
                "status": status,
                "type": kind,
                **extra,
            }
        )

    def top_up(moment: datetime, amount: int, description: str) -> None:
        add(
            moment,
            Decimal(amount),
            "TRANSACTION_TYPE_TOPUP",
            description,
            stripePaymentIntentId=f"pi_3P{rng.getrandbits(40):010x}",
            paymentMethodId="pm_1NxAbcVisa4242",
        )

    # Failed and refunded card payments draw from their own generator so the rest of the ledger
    # (and every figure derived from it) stays what it was before they were added.
    payments = random.Random(SEED + 1)
    today = now.date()
    for offset in range((today - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        midnight = datetime.combine(day, time(), UTC)
        if offset == 0:
            add(midnight + timedelta(hours=10), Decimal(25), "TRANSACTION_TYPE_CREDIT", "Welcome credit")
        if payments.random() < 0.03:
            declined = payments.random() < 0.7
            add(
                midnight + timedelta(hours=payments.randint(8, 20), minutes=payments.randint(0, 59)),
                Decimal(payments.choice((50, 100, 200))),
                "TRANSACTION_TYPE_TOPUP",
                "Credit top-up (card declined)" if declined else "Credit top-up (refunded to card)",
                STATUS_FAILED if declined else STATUS_REFUNDED,
                stripePaymentIntentId=f"pi_3P{payments.getrandbits(40):010x}",
                paymentMethodId="pm_1NxDefMc5454" if declined else "pm_1NxAbcVisa4242",
            )
        if balance < RECHARGE_BELOW:
            # Enough to cover the month-end serverless charge that may have just landed.
            top_up(
                midnight + timedelta(minutes=5),
                RECHARGE_AMOUNT * max(1, int((RECHARGE_BELOW - balance) // RECHARGE_AMOUNT) + 1),
                "Auto-recharge",
            )
        elif rng.random() < 0.02:
            top_up(
                midnight + timedelta(hours=rng.randint(8, 20)), rng.choice((50, 100, 200)), "Credit top-up"
            )
        if day == today:
            break  # today's charges are not billed yet
        for m in _billed_deployments(models, day):
            add(
                midnight + timedelta(hours=23, minutes=59),
                _gpu_day_cost(m),
                "TRANSACTION_TYPE_CHARGE",
                f"On-demand deployment {m['modelName']} ({m['gpuCount']}x {m['gpuType'].removeprefix('GPU_TYPE_')}, 24 h)",
            )
            if rng.random() < 0.015:
                hours = rng.randint(1, 6)
                add(
                    midnight + timedelta(days=1, hours=9),
                    _gpu_day_cost(m) / 24 * hours,
                    "TRANSACTION_TYPE_REFUND",
                    f"Refund: {hours} h downtime on {m['modelName']}",
                )
        if (day + timedelta(days=1)).month != day.month:  # month end: one serverless charge per month
            total, details = _month_details(months, day.year, day.month)
            add(
                midnight + timedelta(hours=23, minutes=59, seconds=59),
                total,
                "TRANSACTION_TYPE_CHARGE",
                f"Serverless usage {day:%Y-%m}",
                details=details,
            )
    # The running month's serverless charge is provisional until month end.
    total, details = _month_details(months, today.year, today.month)
    add(
        now,
        total,
        "TRANSACTION_TYPE_CHARGE",
        f"Serverless usage {today:%Y-%m} (month to date)",
        STATUS_PENDING,  # not taken from the balance until month end
        details=details,
    )
    entries.sort(key=lambda e: e["createdAt"], reverse=True)
    return entries, balance


_PADDING_KINDS = (
    ("TRANSACTION_TYPE_CHARGE", STATUS_SUCCEEDED, "Archived serverless usage"),
    ("TRANSACTION_TYPE_CHARGE", STATUS_SUCCEEDED, "Archived on-demand deployment"),
    ("TRANSACTION_TYPE_TOPUP", STATUS_SUCCEEDED, "Archived top-up"),
    ("TRANSACTION_TYPE_CHARGE", STATUS_SUCCEEDED, "Archived serverless usage"),
    ("TRANSACTION_TYPE_REFUND", STATUS_SUCCEEDED, "Archived refund"),
    ("TRANSACTION_TYPE_TOPUP", STATUS_FAILED, "Archived top-up (card declined)"),
)


def pad_ledger(entries: list[dict], total: int) -> list[dict]:
    """`entries` (newest first) followed by older archived ones until there are `total`.

    Only for exercising paging at scale: the padding predates the account and is left out of the
    balance and the spending figures. Every third archived charge carries `details.models`."""
    rng = random.Random(SEED + 2)
    oldest = datetime.fromisoformat(entries[-1]["createdAt"]) if entries else datetime.now(UTC)
    padded = list(entries)
    model = SERVERLESS_MODELS[0]
    for n in range(1, total - len(entries) + 1):
        kind, status, description = _PADDING_KINDS[n % len(_PADDING_KINDS)]
        amount = Decimal(rng.randint(100, 40_000)) / 100
        entry = {
            "transactionId": f"txn_a{n:06d}",
            "createdAt": rfc3339(oldest - timedelta(hours=2 * n)),
            "amount": money(amount),
            "description": f"{description} #{n}",
            "status": status,
            "type": kind,
        }
        if kind == "TRANSACTION_TYPE_CHARGE" and n % 3 == 0:
            requests = rng.randint(10, 500)
            entry["details"] = {
                "models": {
                    model.name: {
                        "name": model.name,
                        "event_count": requests,
                        "input_tokens": requests * 900,
                        "output_tokens": requests * 200,
                        "total_amount": str(amount),
                    }
                }
            }
        padded.append(entry)
    return padded


def _payment_method(pm_id: str, brand: str, last4: str, month: int, year: int, default: bool) -> dict:
    return {
        "stripePaymentMethodId": pm_id,
        "type": "card",
        "brand": brand,
        "last4": last4,
        "expMonth": month,
        "expYear": year,
        "isDefault": default,
    }


_TICKET_SUBJECTS = (
    ("Rate limited on MiniMax", "I get HTTP 429 after ~20 requests per minute."),
    ("Invoice for last month", "Could you send a PDF invoice with our VAT number?"),
    ("Deployment stuck in pending", "My on-demand deployment has been pending for an hour."),
    ("Streaming stops mid-answer", "Long answers stop after ~2,000 tokens without finish_reason."),
    ("Add Llama 4 to serverless", "Any plans to offer Llama 4 Maverick on serverless?"),
    ("Cached tokens not discounted", "My usage shows cached tokens but the charge looks full price."),
    ("Change account email", "Please move the account to ada@analytical.example."),
    ("TTFT spikes on ada-llama-8b", "Time to first token jumps to 4 s every few minutes."),
    ("Refund for downtime", "The Lambda node was down for 5 hours yesterday."),
    ("How to rotate API keys", "What is the recommended way to rotate keys without downtime?"),
)
_SUPPORT_REPLIES = (
    "Thanks for reaching out! We're looking into it.",
    "Could you share a request id (x-request-id header) so we can trace it?",
    "We've applied a fix on our side; can you confirm it works now?",
    "That is expected with the current plan; we can raise the limit on request.",
)


def _tickets(rng: random.Random, user_id: str, now: datetime) -> list[dict]:
    tickets = []
    for i in range(28):
        subject, opening = _TICKET_SUBJECTS[i % len(_TICKET_SUBJECTS)]
        created = now - timedelta(days=400 - i * 14, hours=rng.randint(0, 20))
        messages = [_conversation(user_id, "Ada L.", ROLE_USER, opening, created)]
        moment = created
        for turn in range(rng.randint(0, 5)):
            moment += timedelta(hours=rng.randint(1, 30))
            if turn % 2 == 0:
                messages.append(
                    _conversation(
                        "support-agent-7",
                        "Tensormesh Support",
                        ROLE_ADMIN,
                        rng.choice(_SUPPORT_REPLIES),
                        moment,
                    )
                )
            else:
                messages.append(_conversation(user_id, "Ada L.", ROLE_USER, "Here are more details.", moment))
        status = TICKET_CLOSED if i < 20 else rng.choice((TICKET_OPEN, TICKET_IN_PROGRESS))
        tickets.append(
            {
                "ticketId": f"tkt_{7000 + i}",
                "subject": subject,
                "requesterUserId": user_id,
                "status": status,
                "type": TICKET_TYPES[i % len(TICKET_TYPES)],
                "conversations": messages,
                "createdAt": rfc3339(created),
                "updatedAt": rfc3339(min(moment, now)),
            }
        )
    tickets.reverse()
    return tickets


def pad_tickets(tickets: list[dict], total: int) -> list[dict]:
    """`tickets` (newest first) followed by older closed ones until there are `total` (paging at
    scale only), each with the user's question and one answer from support."""
    oldest = datetime.fromisoformat(tickets[-1]["createdAt"]) if tickets else datetime.now(UTC)
    user_id = tickets[0]["requesterUserId"] if tickets else ""
    padded = list(tickets)
    for n in range(1, total - len(tickets) + 1):
        subject, opening = _TICKET_SUBJECTS[n % len(_TICKET_SUBJECTS)]
        created = oldest - timedelta(days=n)
        answered = created + timedelta(hours=3)
        padded.append(
            {
                "ticketId": f"tkt_a{n:06d}",
                "subject": f"{subject} (#{n})",
                "requesterUserId": user_id,
                "status": TICKET_CLOSED,
                "type": TICKET_TYPES[n % len(TICKET_TYPES)],
                "conversations": [
                    _conversation(user_id, "Ada L.", ROLE_USER, opening, created),
                    _conversation(
                        "support-agent-7",
                        "Tensormesh Support",
                        ROLE_ADMIN,
                        _SUPPORT_REPLIES[n % len(_SUPPORT_REPLIES)],
                        answered,
                    ),
                ],
                "createdAt": rfc3339(created),
                "updatedAt": rfc3339(answered),
            }
        )
    return padded


def _conversation(user_id: str, name: str, role: str, content: str, moment: datetime) -> dict:
    return {
        "userId": user_id,
        "userName": name,
        "userRole": role,
        "content": content,
        "createdAt": rfc3339(moment),
    }


def _products() -> list[dict]:
    specs = (
        ("prod_h100x1", "1x H100", 1, "hopper", True, "GPU_TYPE_H100", 80),
        ("prod_h100x2", "2x H100", 2, "hopper", True, "GPU_TYPE_H100", 80),
        ("prod_h100x8", "8x H100", 8, "hopper", True, "GPU_TYPE_H100", 80),
        ("prod_h200x1", "1x H200", 1, "hopper", True, "GPU_TYPE_H200", 141),
        ("prod_a100x2", "2x A100", 2, "ampere", True, "GPU_TYPE_A100", 80),
        ("prod_l40sx1", "1x L40S", 1, "ada", False, "GPU_TYPE_L40S", 48),
    )
    return [
        {
            "id": pid,
            "name": name,
            "requiredGpuNum": n,
            "family": family,
            "isActive": active,
            "spec": {"gpuType": gpu, "memoryGib": mem},
        }
        for pid, name, n, family, active, gpu, mem in specs
    ]


_ACTIVITY_KINDS = (
    ("user.login", "user", "Signed in"),
    ("api_key.created", "api_key", "Created API key"),
    ("api_key.deleted", "api_key", "Revoked API key"),
    ("model.deployed", "model", "Deployed model"),
    ("model.deleted", "model", "Deleted deployment"),
    ("billing.topup", "transaction", "Topped up credit"),
    ("ticket.created", "ticket", "Opened support ticket"),
    ("billing.address.updated", "billing_address", "Updated billing address"),
)


def _activities(rng: random.Random, user_id: str, now: datetime) -> list[dict]:
    activities = []
    moment = now - timedelta(days=ACCOUNT_AGE_DAYS - 1)
    for i in range(160):
        moment += timedelta(hours=rng.randint(20, 200))
        if moment >= now:
            moment = now - timedelta(minutes=160 - i)
        action, resource_type, description = rng.choice(_ACTIVITY_KINDS)
        activities.append(
            activity_record(
                f"act_{i + 1:05d}",
                user_id,
                action,
                resource_type,
                f"{resource_type}_{rng.getrandbits(24):06x}",
                description,
                moment,
                ip=f"203.0.113.{rng.randint(1, 254)}",
            )
        )
    activities.sort(key=lambda a: a["occurredAt"], reverse=True)
    return activities


def activity_record(
    activity_id: str,
    user_id: str,
    action: str,
    resource_type: str,
    resource_id: str,
    description: str,
    moment: datetime,
    *,
    ip: str = "127.0.0.1",
) -> dict:
    return {
        "activityId": activity_id,
        "actorType": "ACTOR_TYPE_USER",
        "userId": user_id,
        "action": action,
        "resourceType": resource_type,
        "resourceId": resource_id,
        "description": description,
        "metadata": {"ip": ip},
        "occurredAt": rfc3339(moment),
        "recordedAt": rfc3339(moment + timedelta(seconds=1)),
        "actorId": user_id,
        "actorDisplay": "ada@example.com",
    }


def _deployment_logs(rng: random.Random, model: dict, now: datetime) -> list[dict]:
    """Oldest first: start-up lines, then for live deployments a request line every 5 minutes for a day."""
    created = datetime.fromisoformat(model["createdAt"])
    lines = [
        (created + timedelta(seconds=s), text)
        for s, text in (
            (1, "INFO: Started server process [1]"),
            (4, f"INFO: Loading weights for {model['modelPath']}"),
            (540, "INFO: KV cache offloading (LMCache) enabled"),
            (840, "INFO: Application startup complete."),
        )
    ]
    if model["status"] == MODEL_FAILED:
        lines[2:] = [(created + timedelta(minutes=17), "ERROR: torch.OutOfMemoryError: CUDA out of memory")]
    elif model["status"] == MODEL_PENDING:
        lines = lines[:2]
    elif model["status"] == MODEL_UP:
        start = now - timedelta(days=1)
        for step in range(288):
            moment = start + timedelta(minutes=5 * step, seconds=rng.randint(0, 59))
            tokens = rng.randint(40, 900)
            lines.append(
                (
                    moment,
                    f'INFO: 10.0.{rng.randint(0, 9)}.{rng.randint(2, 250)} - "POST /v1/chat/completions '
                    f'HTTP/1.1" 200 OK ({tokens} tokens)',
                )
            )
    return [{"timestamp": rfc3339(moment), "message": text} for moment, text in lines]


USER_METRICS = ("requests_per_second", "tokens_per_second", "time_to_first_token_seconds_p50", "error_rate")
DEPLOYMENT_METRICS = (
    "requests_per_second",
    "gpu_utilization",
    "kv_cache_hit_rate",
    "time_to_first_token_seconds_p50",
)
_METRIC_SHAPES = {  # base, daily swing, noise
    "requests_per_second": (1.8, 1.2, 0.4),
    "tokens_per_second": (140.0, 90.0, 25.0),
    "time_to_first_token_seconds_p50": (0.24, 0.06, 0.03),
    "error_rate": (0.004, 0.003, 0.002),
    "gpu_utilization": (0.62, 0.25, 0.08),
    "kv_cache_hit_rate": (0.55, 0.15, 0.05),
}
MAX_METRIC_POINTS = 1440


def metric_series(
    names: tuple[str, ...], salt: str, start: datetime, end: datetime, step_s: float
) -> list[dict]:
    """Deterministic time series: the value at a timestamp depends only on (salt, name, timestamp)."""
    step_s = max(step_s, (end - start).total_seconds() / MAX_METRIC_POINTS, 1.0)
    first = math.ceil(start.timestamp() / step_s)
    last = math.floor(end.timestamp() / step_s)
    series = []
    for name in names:
        base, swing, noise = _METRIC_SHAPES[name]
        points = []
        for i in range(first, last + 1):
            ts = i * step_s
            jitter = random.Random(f"{salt}|{name}|{ts}").uniform(-noise, noise)
            value = base + swing * math.sin(2 * math.pi * ts / 86400) + jitter
            points.append(
                {"timestamp": rfc3339(datetime.fromtimestamp(ts, UTC)), "value": round(max(value, 0.0), 6)}
            )
        series.append({"name": name, "data": points})
    return series
