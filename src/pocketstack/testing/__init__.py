"""Test support for users' own suites: a throwaway cloud (`cloud.PocketstackCloud`) and the pytest
plugin that hands it out as fixtures (`pytest_plugin`)."""
