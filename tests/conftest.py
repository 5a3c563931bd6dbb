"""Test set-up shared by the whole suite; the fixtures live in tests/fixtures/, one module each."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.database",
    "tests.fixtures.mail",
    "tests.fixtures.worker",
    "tests.fixtures.live_server",
    "tests.fixtures.browser",
    "tests.fixtures.webhook_receiver",
]
