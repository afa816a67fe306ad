"""Wiki tests use the shared `people` and `make_page` fixtures of tests/conftest.py."""
