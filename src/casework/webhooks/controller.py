"""HTTP routes for webhook subscriptions and their deliveries (admins only)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.routes import Cursor
from casework.webhooks import schemas as s
from casework.webhooks import service


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]
    guards = [requires("webhooks.manage")]

    @get("/subscriptions", summary="Webhook subscriptions within your jurisdiction")
    async def list_subscriptions(self, request: Request) -> s.WebhookSubscriptionList:
        return await service.list_subscriptions(actor=request.user)

    @post("/subscriptions", status_code=201,
          summary="Subscribe a URL to case events; the signing secret is shown this once")
    async def create_subscription(self, request: Request, data: s.SubscriptionCreate) -> s.WebhookSubscriptionCreated:
        return await service.create_subscription(data, actor=request.user)

    @patch("/subscriptions/{subscription_id:int}",
           summary="Change the URL, filters or description, rotate the secret, or re-activate")
    async def update_subscription(
        self, request: Request, subscription_id: int, data: s.SubscriptionUpdate,
    ) -> s.WebhookSubscription:
        return await service.update_subscription(subscription_id, data, actor=request.user)

    @post("/subscriptions/{subscription_id:int}/rotate-secret", status_code=200,
          summary="A new signing secret, shown this once; the previous one keeps signing for the overlap")
    async def rotate_subscription_secret(
        self, request: Request, subscription_id: int, data: s.SecretRotation,
    ) -> s.RotatedSecret:
        return await service.rotate_secret(subscription_id, data, actor=request.user)

    @post("/subscriptions/{subscription_id:int}/deactivate", status_code=200,
          summary="Stop sending; pending deliveries wait for re-activation")
    async def deactivate_subscription(self, request: Request, subscription_id: int) -> s.WebhookSubscription:
        return await service.deactivate_subscription(subscription_id, actor=request.user)

    @get("/deliveries", summary="Deliveries, newest first")
    async def list_deliveries(
        self,
        request: Request,
        subscription_id: int | None = None,
        # "state" is a reserved parameter name in Litestar: alias the query key.
        delivery_state: Annotated[s.DeliveryState | None, Parameter(query="state")] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Cursor = None,
        before_id: Annotated[int | None, Parameter(description="deprecated: pass next_cursor as cursor")] = None,
    ) -> s.WebhookDeliveryPage:
        return await service.list_deliveries(
            actor=request.user, subscription_id=subscription_id, state=delivery_state, limit=limit,
            cursor=cursor, before_id=before_id,
        )

    @post("/deliveries/{delivery_id:int}/retry", status_code=200,
          summary="Give a dead delivery a fresh set of tries")
    async def retry_delivery(self, request: Request, delivery_id: int) -> s.WebhookDelivery:
        return await service.retry_delivery(delivery_id, actor=request.user)
