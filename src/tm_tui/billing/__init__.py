"""Billing figures without Textual: usage per model and what cache reuse saved, transaction rows with
filters and sorting, local-time formatting, CSV/JSON export. The Billing screens display these."""
