"""The mobile change feed: cases changed since a cursor, nothing skipped."""
