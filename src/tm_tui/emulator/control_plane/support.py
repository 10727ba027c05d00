"""Support tickets, reserved-deployment requests, products and the activity log (reference §4.5)."""

from __future__ import annotations

from datetime import timedelta

from tm_tui.emulator.control_plane.call import Call, Routes, enum_value, find, required
from tm_tui.emulator.control_plane.errors import ApiError
from tm_tui.emulator.control_plane.times import now, parse_time
from tm_tui.emulator.seed import TICKET_CLOSED, TICKET_OPEN, TICKET_STATUSES, rfc3339


async def list_tickets(call: Call) -> dict:
    call.scope(call.query("userId"))
    tickets = [t for t in call.data.tickets if t["requesterUserId"] == call.user_id]
    if status := call.query("status"):
        wanted = enum_value(status, "TICKET_STATUS_", TICKET_STATUSES)
        tickets = [t for t in tickets if t["status"] == wanted]
    page_items, page, size = call.paged(tickets, 20)
    return {"tickets": page_items, "page": page, "size": size, "total": str(len(tickets))}


def _message(call: Call, content: str) -> dict:
    return {
        "userId": call.user_id,
        "userName": call.user.get("displayName", ""),
        "userRole": call.user.get("userRole", ""),
        "content": content,
        "createdAt": rfc3339(now()),
    }


async def create_ticket(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    subject, message = required(payload, "subject"), required(payload, "message")
    stamp = rfc3339(now())
    number = 7000 + len(call.data.tickets)
    while any(t["ticketId"] == f"tkt_{number}" for t in call.data.tickets):
        number += 1
    ticket = {
        "ticketId": f"tkt_{number}",
        "subject": subject,
        "requesterUserId": call.user_id,
        "status": TICKET_OPEN,
        "type": enum_value(payload.get("type") or "TECHNICAL", "TICKET_TYPE_"),
        "conversations": [_message(call, message)],
        "createdAt": stamp,
        "updatedAt": stamp,
    }
    call.data.tickets.insert(0, ticket)
    call.store.record_activity(
        call.user_id, "ticket.created", "ticket", ticket["ticketId"], f"Opened ticket: {subject}"
    )
    return {"ticket": ticket}


def _own_ticket(call: Call) -> dict:
    ticket = find(call.data.tickets, "ticketId", call.path("ticketId"), "ticket")
    if ticket["requesterUserId"] != call.user_id and not call.is_admin:
        raise ApiError(404, f"ticket {ticket['ticketId']} not found")
    return ticket


async def get_ticket(call: Call) -> dict:
    return {"ticket": _own_ticket(call)}


async def close_ticket(call: Call) -> dict:
    call.scope(call.query("userId"))
    ticket = _own_ticket(call)
    ticket["status"] = TICKET_CLOSED
    ticket["updatedAt"] = rfc3339(now())
    return {"ticket": ticket}


async def add_ticket_message(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    message = payload.get("message")
    content = message.get("content") if isinstance(message, dict) else message  # the SDK wraps strings
    if not isinstance(content, str) or not content:
        raise ApiError(400, "message.content: value is required")
    ticket = _own_ticket(call)
    ticket["conversations"].append(_message(call, content))
    ticket["updatedAt"] = rfc3339(now())
    if ticket["status"] == TICKET_CLOSED:
        ticket["status"] = TICKET_OPEN  # a reply reopens, as help desks do
    call.data.tickets.remove(ticket)
    call.data.tickets.insert(0, ticket)
    return {"ticket": ticket}


async def reserved_deployment(call: Call) -> dict:
    payload = await call.body()
    request_id = f"rdr_{now():%Y%m%d}_{len(call.data.reserved_requests) + 1:04d}"
    call.data.reserved_requests.append({"requestId": request_id, **payload})
    return {"requestId": request_id}


async def list_products(call: Call) -> dict:
    return {"products": call.data.products}


async def delete_product(call: Call) -> dict:
    product = find(call.data.products, "id", call.path("productId"), "product")
    call.data.products.remove(product)
    return {"deleted": True}


async def list_activities(call: Call) -> dict:
    call.scope(call.query("userId"))
    items = call.data.activities
    for name in ("action", "resourceType", "resourceId"):
        if value := call.query(name):
            items = [a for a in items if a[name] == value]
    if call.query("startTime") or call.query("endTime"):
        start, end = call.time_range(timedelta(days=36500))
        items = [a for a in items if start <= parse_time(a["occurredAt"]) <= end]
    page_items, page, size = call.paged(items, 20)
    return {"activities": page_items, "total": len(items), "page": page, "size": size}


async def get_activity(call: Call) -> dict:
    return {"activity": find(call.data.activities, "activityId", call.path("activityId"), "activity")}


# Literal routes come before the `{ticketId}` routes they would otherwise match.
ROUTES: Routes = (
    ("GET", "/v1/support/tickets", list_tickets),
    ("POST", "/v1/support/tickets", create_ticket),
    ("POST", "/v1/support/reserved-deployments", reserved_deployment),
    ("GET", "/v1/support/tickets/{ticketId}", get_ticket),
    ("DELETE", "/v1/support/tickets/{ticketId}", close_ticket),
    ("POST", "/v1/support/tickets/{ticketId}/messages", add_ticket_message),
    ("GET", "/v1/products", list_products),
    ("DELETE", "/v1/products/{productId}", delete_product),
    ("GET", "/v1/activities", list_activities),
    ("GET", "/v1/activities/{activityId}", get_activity),
)
