"""Correlation matrices: positive semi-definiteness, nearest valid matrix, copula factors."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from estimation.errors import EstimationInputError

__all__ = [
    "copula_factor",
    "is_positive_semidefinite",
    "nearest_correlation_matrix",
    "spearman_matrix_to_copula",
]

FloatArray = npt.NDArray[np.float64]


def is_positive_semidefinite(matrix: npt.ArrayLike, *, tolerance: float = 1e-10) -> bool:
    """Whether a symmetric matrix has no eigenvalue below ``-tolerance``.

    Examples
    --------
    >>> is_positive_semidefinite([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    False
    """
    array = np.asarray(matrix, dtype=np.float64)
    if array.size == 0:
        return True
    return bool(np.linalg.eigvalsh(array)[0] >= -tolerance)


def nearest_correlation_matrix(
    matrix: npt.ArrayLike, *, tolerance: float = 1e-12, max_iterations: int = 500
) -> FloatArray:
    """Nearest correlation matrix in the Frobenius norm (Higham 2002, with Dykstra's correction).

    Alternates projections onto the positive semi-definite cone and onto matrices with a
    unit diagonal. The result is symmetric, has a unit diagonal and no negative eigenvalue
    beyond rounding.

    Examples
    --------
    >>> fixed = nearest_correlation_matrix([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    >>> is_positive_semidefinite(fixed), bool(np.allclose(np.diag(fixed), 1.0))
    (True, True)
    """
    target = np.asarray(matrix, dtype=np.float64)
    if target.ndim != 2 or target.shape[0] != target.shape[1]:
        raise EstimationInputError(f"correlation matrix: shape {target.shape} is not square")
    current = (target + target.T) / 2.0
    correction = np.zeros_like(current)
    for _ in range(max_iterations):
        shifted = current - correction
        projected = _project_psd(shifted)
        correction = projected - shifted
        previous = current
        current = projected.copy()
        np.fill_diagonal(current, 1.0)
        if np.linalg.norm(current - previous, ord="fro") <= tolerance * max(
            1.0, float(np.linalg.norm(current, ord="fro"))
        ):
            break
    # Clean rounding: clip tiny negative eigenvalues and renormalise the diagonal.
    cleaned = _project_psd(current, floor=0.0)
    scale = 1.0 / np.sqrt(np.diag(cleaned))
    result = cleaned * scale[:, None] * scale[None, :]
    return np.asarray((result + result.T) / 2.0, dtype=np.float64)


def _project_psd(matrix: FloatArray, floor: float = 0.0) -> FloatArray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    values = np.maximum(values, floor)
    return np.asarray((vectors * values) @ vectors.T, dtype=np.float64)


def spearman_matrix_to_copula(matrix: npt.ArrayLike) -> FloatArray:
    """Gaussian-copula correlations ``2 sin(π ρ / 6)`` that give rank correlations ``ρ``.

    Examples
    --------
    >>> spearman_matrix_to_copula([[1.0, 0.5], [0.5, 1.0]]).round(4).tolist()
    [[1.0, 0.5176], [0.5176, 1.0]]
    """
    array = np.asarray(matrix, dtype=np.float64)
    result = 2.0 * np.sin(np.pi * array / 6.0)
    np.fill_diagonal(result, 1.0)
    return np.asarray(result, dtype=np.float64)


def copula_factor(matrix: npt.ArrayLike) -> FloatArray:
    """A factor ``L`` with ``L @ L.T == matrix`` for a positive semi-definite matrix.

    Uses the eigen-decomposition so that singular (semi-definite) matrices work too.

    Examples
    --------
    >>> factor = copula_factor([[1.0, 1.0], [1.0, 1.0]])
    >>> bool(np.allclose(factor @ factor.T, 1.0))
    True
    """
    array = np.asarray(matrix, dtype=np.float64)
    values, vectors = np.linalg.eigh((array + array.T) / 2.0)
    return np.asarray(vectors * np.sqrt(np.maximum(values, 0.0)), dtype=np.float64)
