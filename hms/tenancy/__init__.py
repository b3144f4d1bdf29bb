"""The tenancy engine: which hospital is current, where its database is, and how it gets there.

Imports no clinical app. See docs/architecture.md for the request flow.
"""
