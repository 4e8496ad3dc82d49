"""Exceptions and warnings raised by the estimation engine."""

from __future__ import annotations


class EstimationInputError(ValueError):
    """An input the engine refuses; the message names the item, the field and the value.

    Examples
    --------
    >>> from estimation import WorkItem
    >>> try:
    ...     WorkItem("DEV-003", "BE", "build", 3.0, 2.0, 5.0)
    ... except EstimationInputError as error:
    ...     print(error)
    line 'DEV-003' role 'BE': most_likely=2.0 is below optimistic=3.0
    """


class CorrelationRepairWarning(UserWarning):
    """A correlation matrix was not positive semi-definite and was replaced by the nearest one."""
