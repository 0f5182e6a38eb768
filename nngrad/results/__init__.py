"""Stored runs -> tidy tables, cost-model fits, plots, reports and comparisons (nothing here times)."""
