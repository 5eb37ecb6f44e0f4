"""Backlog monitoring for the petition bureau: summary, overdue and due-soon
lists, aging, trends, metrics and CSV exports, all scoped to the caller's
jurisdiction. The counts come from trigger-maintained tables (see the
migration 2026-11-27T05:10 and docs/backlog.md)."""
