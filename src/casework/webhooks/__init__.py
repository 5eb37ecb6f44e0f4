"""Outbound webhooks: admin-managed subscriptions and the outbox dispatcher."""
