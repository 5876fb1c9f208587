"""The forum's fixtures serve the security tests here too (pages need courses and threads)."""

from tests.forum.conftest import world  # noqa: F401
