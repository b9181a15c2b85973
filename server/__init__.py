"""The RedHall server: accounts, catalog, scheduling, live tours, credits."""

from server.app import create_app
from server.settings import Settings

__all__ = ["Settings", "create_app"]
