"""Tests of the Python SDK (sdk/). Shared helpers live in sdk_helpers.py."""
