"""Connected components, the one routine behind grid regions, circle-arc linking and continuum grouping."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def _first_appearance(labels: np.ndarray) -> np.ndarray:
    """Renumber integer labels 0..k-1 in order of first appearance (row-major)."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse.reshape(-1)].reshape(labels.shape)


def label_components(classes: np.ndarray) -> np.ndarray:
    """4-connected components of equal values in a 2-D integer array.

    Args:
        classes: (ny, nx) integer labels.

    Returns:
        (ny, nx) component ids 0..k-1, numbered in order of first appearance (row-major).
    """
    out = np.zeros(classes.shape, dtype=np.int64)
    offset = 0
    for value in np.unique(classes):  # `ndimage.label` joins nonzero cells, so label each value on its own
        labels, n = ndimage.label(classes == value)  # default structure: 4-connectivity
        inside = labels > 0
        out[inside] = labels[inside] + offset - 1
        offset += n
    return _first_appearance(out)


def graph_components(n: int, edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """(n,) component label of every node of an undirected graph, numbered by each component's smallest node."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return _first_appearance(labels)


def groups(labels: np.ndarray) -> list[list[int]]:
    """Node lists of each component, ordered by smallest node, members ascending."""
    out: dict[int, list[int]] = {}
    for i, c in enumerate(labels.tolist()):
        out.setdefault(c, []).append(i)
    return list(out.values())
