"""CPU and GPU against TEMPLATE for TreeEnsemble (codegen/lowering/tree_ensemble.py): two trees
with every comparison mode and a membership set, NaN features with both missing-value rules,
every aggregate function and post transform."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

NAN = float("nan")
FEATURES = np.array([[0.2, 0.1, 1.0], [0.9, -1.0, 3.0], [-0.5, NAN, 2.0], [NAN, 0.4, NAN],
                     [0.5, -0.2, 0.0], [-1.0, 5.0, 2.5]], np.float32)


def ensemble_attrs(aggregate: int, post: int) -> dict:
    """Tree A: x0 <= 0.5 ? (x1 > -0.2 ? leaf 1 : leaf 2) : leaf 0.
    Tree B: x2 in {1, 2} ? leaf 3 : (x0 < 0 ? leaf 4 : leaf 5); node 4 (x1 == 5) and node 5
    (x1 != 0.4) are unused by the walks but keep every mode in the tables."""
    return {
        "aggregate_function": aggregate, "post_transform": post, "n_targets": 3,
        "tree_roots": [0, 2],
        "nodes_modes": np.array([0, 3, 6, 1, 4, 5], np.uint8),
        "nodes_featureids": [0, 1, 2, 0, 1, 1],
        "nodes_splits": np.array([0.5, -0.2, NAN, 0.0, 5.0, 0.4], np.float32),
        "nodes_truenodeids": [1, 1, 3, 4, 0, 0], "nodes_trueleafs": [0, 1, 1, 1, 1, 1],
        "nodes_falsenodeids": [0, 2, 3, 5, 0, 0], "nodes_falseleafs": [1, 1, 0, 1, 1, 1],
        "nodes_missing_value_tracks_true": [1, 0, 0, 1, 0, 0],
        "leaf_targetids": [0, 1, 2, 0, 1, 2],
        "leaf_weights": np.array([1.0, -2.0, 0.5, 3.0, 1.5, -1.0], np.float32),
        "membership_values": np.array([1.0, 2.0, NAN], np.float32),
    }


def ensemble_graph(aggregate: int, post: int):
    x = ir.parameter("x", "f32", FEATURES.shape)
    return ir.Graph([x], [ir.make("TreeEnsemble", 1, [x], **ensemble_attrs(aggregate, post))])


@pytest.mark.parametrize("aggregate", [0, 1, 2, 3])
@pytest.mark.parametrize("post", [0, 1, 2, 3])
def test_tree_ensemble_matches_template(aggregate, post):
    device_check.check_against_template(ensemble_graph(aggregate, post), [FEATURES], "CPU",
                                        rtol=1e-5, atol=1e-6)


def test_tree_ensemble_on_gpu():
    device_check.check_against_template(ensemble_graph(1, 1), [FEATURES], "GPU", rtol=1e-5,
                                        atol=1e-6)
