"""Tests for morsenet.analysis._components: the connected-components routine behind regions, arcs and continua."""

import numpy as np

from morsenet.analysis import label_components
from morsenet.analysis._components import graph_components, groups  # private: no public name


def test_graph_components_are_numbered_by_smallest_node():
    labels = graph_components(6, [(4, 5), (1, 3), (3, 4)])
    assert labels.tolist() == [0, 1, 2, 1, 1, 1]
    assert groups(labels) == [[0], [1, 3, 4, 5], [2]]


def test_graph_components_without_edges_or_nodes():
    assert graph_components(3, []).tolist() == [0, 1, 2]
    assert graph_components(0, []).tolist() == []


def test_label_components_joins_equal_values_four_connected():
    classes = np.array([[0, 1, 0], [1, 1, 0], [0, 0, 1]])
    assert label_components(classes).tolist() == [[0, 1, 2], [1, 1, 2], [3, 3, 4]]
