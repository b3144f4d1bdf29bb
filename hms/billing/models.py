"""Billing (tenant database): the price list, invoices per encounter, payments."""
