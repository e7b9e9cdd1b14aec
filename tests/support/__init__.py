"""Helpers shared by the test suites (a recording upstream that stands in for Plivo, and its fixtures)."""
