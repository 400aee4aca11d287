"""Local fakes of the source APIs over a seeded synthetic company (see DESIGN.md, "Sandbox")."""

from sandbox.server import Sandbox
from sandbox.world import World, build_world

__all__ = ["Sandbox", "World", "build_world"]
