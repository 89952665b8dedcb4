"""Seeded synthetic clustered embeddings, unit-normalised (random vectors are no test of ANN)."""
from __future__ import annotations

import faiss
import numpy as np
import pytest


def clustered(n: int, dim: int = 32, clusters: int = 20, seed: int = 0) -> np.ndarray:
    """`n` unit vectors (n, dim) float32: 20 clusters of 10 sub-clusters each, plus noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, 1, dim)) + 0.7 * rng.standard_normal((clusters, 10, dim))
    x = centres[rng.integers(0, clusters, n), rng.integers(0, 10, n)]  # (n, dim)
    x += 0.2 * rng.standard_normal((n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x, dtype=np.float32)


@pytest.fixture(scope="session", autouse=True)
def one_faiss_thread() -> None:
    """The machine is shared: FAISS's OpenMP spinning on busy cores costs more than it gains here."""
    faiss.omp_set_num_threads(1)


@pytest.fixture(scope="session")
def data() -> np.ndarray:
    return clustered(2050)


@pytest.fixture(scope="session")
def vectors(data: np.ndarray) -> np.ndarray:
    return data[:2000]


@pytest.fixture(scope="session")
def ids(vectors: np.ndarray) -> list[str]:
    return [f"Q{i}" for i in range(len(vectors))]


@pytest.fixture(scope="session")
def queries(data: np.ndarray) -> np.ndarray:
    return data[2000:]
