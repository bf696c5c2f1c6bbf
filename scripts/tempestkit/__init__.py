"""Run upstream Tempest and its plugins against pocketstack (see scripts/tempest.py)."""
