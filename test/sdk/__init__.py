"""Tests of the Python SDK (language-server/sdk). Shared helpers live in sdk_helpers.py."""
