"""Internal ops (domain "vinify") for the cheap ONNX-ML ops without an OpenVINO op:
LabelEncoder."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import TensorType
from vinify.types import element_type


@register
class LabelEncoder(Op):
    """Maps each input element through keys -> values; unmatched elements get `default`."""

    name, version, domain = "LabelEncoder", 1, "vinify"
    attributes = (Attr("keys", "tensor"), Attr("values", "tensor"), Attr("default", "tensor"))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        keys, values = ctx.attrs["keys"], ctx.attrs["values"]
        if keys.size != values.size:
            raise ctx.error(f"{keys.size} keys for {values.size} values")
        return [TensorType(element_type(values.dtype), ctx.shape(0))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        keys, values = attrs["keys"].reshape(-1), attrs["values"].reshape(-1)
        default = attrs["default"].reshape(-1)[0]
        table = {_key(k): v for k, v in zip(keys, values)}
        mapped = [table.get(_key(item), default) for item in x.reshape(-1)]
        return np.array(mapped, dtype=values.dtype).reshape(x.shape)


def _key(item):
    if isinstance(item, bytes):
        return item.decode("utf-8")
    if isinstance(item, (float, np.floating)) and np.isnan(item):
        return "nan"  # NaN keys match NaN inputs
    return item.item() if isinstance(item, np.generic) else item


_COMPARISONS = {
    0: np.less_equal, 1: np.less, 2: np.greater_equal, 3: np.greater, 4: np.equal,
    5: np.not_equal,
}
_MEMBER = 6


def _membership_sets(attrs: dict) -> dict[int, np.ndarray]:
    """Node index -> its member set, for BRANCH_MEMBER nodes (sets are NaN-delimited)."""
    values = attrs["membership_values"].reshape(-1).astype(np.float64)
    sets, current = [], []
    for value in values:
        if np.isnan(value):
            sets.append(np.array(current))
            current = []
        else:
            current.append(value)
    if current:
        sets.append(np.array(current))
    members = [i for i, mode in enumerate(attrs["nodes_modes"].reshape(-1)) if mode == _MEMBER]
    return dict(zip(members, sets))


def _branch_taken(attrs: dict, nodes: np.ndarray, features: np.ndarray, sets: dict):
    modes = attrs["nodes_modes"].reshape(-1)[nodes]
    splits = attrs["nodes_splits"].reshape(-1).astype(np.float64)[nodes]
    taken = np.zeros(nodes.shape, bool)
    for mode, compare in _COMPARISONS.items():
        chosen = modes == mode
        taken[chosen] = compare(features[chosen], splits[chosen])
    for node, members in sets.items():
        chosen = nodes == node
        taken[chosen] = np.isin(features[chosen], members)
    tracks = np.asarray(attrs["nodes_missing_value_tracks_true"] or [0] * len(attrs[
        "nodes_featureids"]), bool)[nodes]
    missing = np.isnan(features)
    return np.where(missing, tracks, taken)


def _leaves_reached(attrs: dict, x: np.ndarray, root: int, sets: dict) -> np.ndarray:
    """The leaf each row of x reaches from `root`, walking all rows one level at a time."""
    rows = x.shape[0]
    node, leaf = np.full(rows, root), np.full(rows, -1)
    active = np.ones(rows, bool)
    while active.any():
        where = np.flatnonzero(active)
        current = node[where]
        features = x[where, np.asarray(attrs["nodes_featureids"])[current]]
        taken = _branch_taken(attrs, current, features, sets)
        is_leaf = np.where(taken, np.asarray(attrs["nodes_trueleafs"])[current],
                           np.asarray(attrs["nodes_falseleafs"])[current]).astype(bool)
        target = np.where(taken, np.asarray(attrs["nodes_truenodeids"])[current],
                          np.asarray(attrs["nodes_falsenodeids"])[current])
        leaf[where[is_leaf]] = target[is_leaf]
        node[where[~is_leaf]] = target[~is_leaf]
        active[where[is_leaf]] = False
    return leaf


@register
class TreeEnsemble(Op):
    """ONNX-ML TreeEnsemble (v5): [N, F] features -> [N, n_targets] aggregated leaf weights,
    with post transforms NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO."""

    name, version, domain = "TreeEnsemble", 1, "vinify"
    attributes = (
        Attr("aggregate_function", "int", 1, (0, 1, 2, 3)),
        Attr("post_transform", "int", 0, (0, 1, 2, 3)), Attr("n_targets", "int"),
        Attr("tree_roots", "ints"), Attr("nodes_modes", "tensor"),
        Attr("nodes_featureids", "ints"), Attr("nodes_splits", "tensor"),
        Attr("nodes_truenodeids", "ints"), Attr("nodes_trueleafs", "ints"),
        Attr("nodes_falsenodeids", "ints"), Attr("nodes_falseleafs", "ints"),
        Attr("nodes_missing_value_tracks_true", "ints", ()), Attr("leaf_targetids", "ints"),
        Attr("leaf_weights", "tensor"), Attr("membership_values", "tensor", np.zeros(0)),
    )

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        from vinify.shapes import Dimension, PartialShape

        shape = ctx.shape(0)
        if shape.rank_is_static and shape.rank != 2:
            raise ctx.error(f"the input must be [N, F], got {shape}")
        batch = shape.dims[0] if shape.rank_is_static else Dimension()
        return [TensorType(ctx.element_type(0), PartialShape((batch, Dimension.of(
            ctx.attrs["n_targets"]))))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        data = x.astype(np.float64)
        sets = _membership_sets(attrs)
        targets = np.asarray(attrs["leaf_targetids"])
        weights = attrs["leaf_weights"].reshape(-1).astype(np.float64)
        function = attrs["aggregate_function"]
        start = {2: np.inf, 3: -np.inf}.get(function, 0.0)
        scores = np.full((x.shape[0], attrs["n_targets"]), start)
        rows = np.arange(x.shape[0])
        for root in attrs["tree_roots"]:
            leaves = _leaves_reached(attrs, data, root, sets)
            if function == 2:
                np.minimum.at(scores, (rows, targets[leaves]), weights[leaves])
            elif function == 3:
                np.maximum.at(scores, (rows, targets[leaves]), weights[leaves])
            else:
                np.add.at(scores, (rows, targets[leaves]), weights[leaves])
        scores[np.isinf(scores)] = 0.0
        if function == 0:
            scores /= max(len(attrs["tree_roots"]), 1)
        return _post_transform(scores, attrs["post_transform"]).astype(x.dtype)


def _post_transform(scores: np.ndarray, transform: int) -> np.ndarray:
    if transform == 1:
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    if transform == 2:
        return 1.0 / (1.0 + np.exp(-scores))
    if transform == 3:  # softmax that keeps exact zeros at zero
        shifted = np.where(scores == 0, 0.0, np.exp(scores - scores.max(axis=1, keepdims=True)))
        total = shifted.sum(axis=1, keepdims=True)
        return np.divide(shifted, total, out=np.zeros_like(shifted), where=total != 0)
    return scores
