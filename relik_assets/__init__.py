"""Dagster orchestration over `relik_ml`: thin assets, checks, resources, automation."""
