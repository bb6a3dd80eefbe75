"""Errors and warnings raised on purpose by the planner.

Every error subclasses :class:`PlannerError` and a builtin, so ``except ValueError``
keeps working for callers that do not know our hierarchy.
"""

from __future__ import annotations


class PlannerError(Exception):
    """Base for every error the planner raises on purpose."""


class CatalogError(PlannerError, ValueError):
    """Bad or missing field, unit or range in a catalog, printer or material table."""


class GeometryError(PlannerError, ValueError):
    """Unreadable or degenerate STL."""


class ScenarioError(PlannerError, ValueError):
    """Bad scenario file: unknown event type or field, wrong type or range."""


class ProfileError(PlannerError, ValueError):
    """Bad printer profile (PrusaSlicer .ini) or printer/material table."""


class InfeasibleError(PlannerError, RuntimeError):
    """The sourcing MILP has no optimal solution.

    Parameters
    ----------
    message
        What binds and by how much, in words.
    status
        The PuLP status string (``"Infeasible"``, ``"Not Solved"``, ...).
    """

    def __init__(self, message: str, *, status: str = "Infeasible") -> None:
        super().__init__(message)
        self.status = status


class PlannerWarning(UserWarning):
    """Suspicious but usable input (non-watertight mesh, part larger than a printer)."""
