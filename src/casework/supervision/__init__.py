"""Supervision items (督办): a superior body presses the handler of a case,
the handler answers, the supervisor closes the item."""
