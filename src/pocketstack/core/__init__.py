"""Shared machinery: written once, imports no service."""
