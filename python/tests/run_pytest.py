"""Runs the pytest suite in the given folder; exits 77 (ctest's skip) when pytest is not installed."""
import importlib.util
import sys

if importlib.util.find_spec("pytest") is None:
    print("python_tests: pytest is not installed (Debian: python3-pytest); skipped")
    sys.exit(77)
import pytest  # noqa: E402

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", sys.argv[1]]))
