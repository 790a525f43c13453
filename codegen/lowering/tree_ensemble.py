"""TreeEnsemble (ONNX-ML v5): every tree walked at run time from node tables held as weights.

The node attributes become tables (mode, feature, split, children, leaf flags, missing-value
rule, membership set ranges) and each row walks each tree for at most the ensemble's depth (known
from the attributes) steps; a walk that reached a leaf keeps it. The reached leaf's weight is
folded into the row's target score (sum, average, min or max) in f64 scratch, then the post
transform (none, softmax, logistic, softmax that keeps zeros) writes the output. As the
reference does, a NaN feature takes the branch its missing-value flag names, and a score no
tree reached (still +-inf for min/max) becomes 0.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)

WIDE = "f64"
MEMBER_MODE = 6
COMPARISONS = {0: "le", 1: "lt", 2: "ge", 3: "gt", 4: "eq", 5: "ne"}


def _f(value: float) -> K.Const:
    return K.Const(float(value), WIDE)


def _b(op: str, a: K.Expr, b: K.Expr | int | float) -> K.Expr:
    if isinstance(b, K.Expr):
        return K.Binary(op, a, b)
    return K.Binary(op, a, _f(b) if a.dtype == WIDE else K.Const(b))


def _tree_depth(attrs: dict) -> int:
    """The most branch nodes any walk visits (bounded by the node count: no endless walks)."""
    true_ids, false_ids = attrs["nodes_truenodeids"], attrs["nodes_falsenodeids"]
    true_leaf, false_leaf = attrs["nodes_trueleafs"], attrs["nodes_falseleafs"]
    limit, deepest = len(true_ids), 1
    frontier = [(root, 1) for root in attrs["tree_roots"]]
    while frontier:
        node, depth = frontier.pop()
        deepest = max(deepest, depth)
        if depth >= limit:
            continue
        for child, leaf in ((true_ids[node], true_leaf[node]), (false_ids[node],
                                                                 false_leaf[node])):
            if not leaf:
                frontier.append((child, depth + 1))
    return deepest


def _member_tables(attrs: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, start per node, count per node) of the NaN-delimited membership sets."""
    values = np.asarray(attrs["membership_values"], np.float64).reshape(-1)
    sets, current = [], []
    for value in values:
        if np.isnan(value):
            sets.append(current)
            current = []
        else:
            current.append(value)
    if current:
        sets.append(current)
    modes = np.asarray(attrs["nodes_modes"]).reshape(-1)
    starts, counts = np.zeros(modes.size, np.int64), np.zeros(modes.size, np.int64)
    flat: list[float] = []
    members = [i for i, mode in enumerate(modes) if mode == MEMBER_MODE]
    for node, members_of in zip(members, sets):
        starts[node], counts[node] = len(flat), len(members_of)
        flat.extend(members_of)
    return np.asarray(flat or [0.0]), starts, counts


class Tables:
    """The node and leaf attributes as weight buffers, read with the current node index."""

    def __init__(self, ctx: LoweringContext, attrs: dict):
        count = len(attrs["nodes_featureids"])
        tracks = attrs["nodes_missing_value_tracks_true"] or [0] * count
        members, starts, counts = _member_tables(attrs)
        ints = {"mode": np.asarray(attrs["nodes_modes"]).reshape(-1),
                "feature": attrs["nodes_featureids"], "true_id": attrs["nodes_truenodeids"],
                "true_leaf": attrs["nodes_trueleafs"], "false_id": attrs["nodes_falsenodeids"],
                "false_leaf": attrs["nodes_falseleafs"], "tracks": tracks,
                "member_start": starts, "member_count": counts,
                "target": attrs["leaf_targetids"], "root": attrs["tree_roots"]}
        self.buffers = {name: ctx.add_weights("tree_" + name, np.asarray(values, np.int64),
                                              "i64") for name, values in ints.items()}
        wide = {"split": attrs["nodes_splits"], "weight": attrs["leaf_weights"],
                "members": members}
        for name, values in wide.items():
            self.buffers[name] = ctx.add_weights(
                "tree_" + name, np.asarray(values, np.float64).reshape(-1), WIDE)

    def __call__(self, name: str, index: K.Expr) -> K.Expr:
        return K.Load(self.buffers[name], index)


def _branch_taken(tables: Tables, node: K.Var, feature: K.Var) -> tuple[list[K.Stmt], K.Expr]:
    """Statements and the condition: does the walk at `node` take the true branch?"""
    mode, split, count = K.Var("mode"), K.Var("split", WIDE), K.Var("members")
    hit, j = K.Var("hit", "i1"), K.Var("j")
    start = tables("member_start", node)
    member = _b("eq", tables("members", _b("add", start, j)), feature)
    # the set size is a Let: loop bounds are not searched for the buffers a kernel reads
    statements = [K.Let(mode, tables("mode", node)), K.Let(split, tables("split", node)),
                  K.Let(count, tables("member_count", node)),
                  K.Let(hit, K.Binary("ne", K.Const(0), K.Const(0))),
                  K.Loop(j, K.Const(0), count, (
                      K.Let(hit, K.Binary("or", hit, member)),))]
    taken: K.Expr = hit
    for code, op in COMPARISONS.items():
        taken = K.Select(_b("eq", mode, code), _b(op, feature, split), taken)
    missing = _b("ne", feature, feature)
    return statements, K.Select(missing, _b("ne", tables("tracks", node), 0), taken)


def _walk(tables: Tables, x: K.Buffer, row: K.Var, features: int, depth: int,
          tree: K.Var) -> tuple[list[K.Stmt], K.Var]:
    """Statements walking tree `tree` for row `row`; the variable then holds the leaf (-1:
    none reached)."""
    node, leaf, step, feature = K.Var("node"), K.Var("leaf"), K.Var("step"), K.Var("x", WIDE)
    active, at_leaf, target = K.Var("active", "i1"), K.Var("at_leaf"), K.Var("next")
    value = K.Load(x, _b("add", _b("mul", row, features), tables("feature", node)))
    tests, taken = _branch_taken(tables, node, feature)
    chosen = K.Var("taken", "i1")
    body = (K.Let(active, _b("lt", leaf, 0)),
            K.Let(feature, value if x.dtype == WIDE else K.Cast(value, WIDE)),
            *tests, K.Let(chosen, taken),
            K.Let(at_leaf, K.Select(chosen, tables("true_leaf", node), tables("false_leaf", node))),
            K.Let(target, K.Select(chosen, tables("true_id", node), tables("false_id", node))),
            K.Let(leaf, K.Select(_b("and", active, _b("ne", at_leaf, 0)), target, leaf)),
            K.Let(node, K.Select(_b("and", active, _b("eq", at_leaf, 0)), target, node)))
    return [K.Let(node, tables("root", tree)), K.Let(leaf, K.Const(-1)),
            K.Loop(step, K.Const(0), K.Const(depth), body)], leaf


def _fold_leaf(tables: Tables, scores: K.Buffer, row: K.Var, targets: int, leaf: K.Var,
               function: int) -> list[K.Stmt]:
    """scores[row, target of leaf] combined with the leaf's weight (nothing when no leaf)."""
    reached = _b("ge", leaf, 0)
    safe_leaf = K.Select(reached, leaf, K.Const(0))
    slot = K.Var("slot")
    old = K.Var("old", WIDE)
    weight = tables("weight", safe_leaf)
    combined = {2: _b("min", old, weight), 3: _b("max", old, weight)}.get(
        function, _b("add", old, weight))
    return [K.Let(slot, _b("add", _b("mul", row, targets), tables("target", safe_leaf))),
            K.Let(old, K.Load(scores, slot)),
            K.Store(scores, slot, K.Select(reached, combined, old))]


def _post_transform(scores: K.Buffer, out: K.Buffer, row: K.Var, targets: int, attrs: dict,
                    trees: int) -> list[K.Stmt]:
    """Unreached scores to 0, the average's division, then the post transform into `out`."""
    t, top, total = K.Var("t"), K.Var("top", WIDE), K.Var("total", WIDE)
    at = _b("add", _b("mul", row, targets), t)
    raw = K.Load(scores, at)
    infinite = _b("eq", K.Unary("abs", raw), float("inf"))
    score = K.Select(infinite, _f(0.0), raw)
    if attrs["aggregate_function"] == 0:
        score = _b("div", score, float(max(trees, 1)))
    clean = K.Loop(t, K.Const(0), K.Const(targets), (K.Store(scores, at, score),))
    value = K.Load(scores, at)
    transform = attrs["post_transform"]
    if transform in (0, 2):
        result = value if transform == 0 else _b("div", _f(1.0), _b(
            "add", _f(1.0), K.Unary("exp", K.Unary("neg", value))))
        return [clean, K.Loop(t, K.Const(0), K.Const(targets), (
            K.Store(out, at, K.Cast(result, out.dtype)),))]
    shifted = K.Unary("exp", _b("sub", value, top))
    if transform == 3:
        shifted = K.Select(_b("eq", value, 0.0), _f(0.0), shifted)
    ratio = K.Select(_b("ne", total, 0.0), _b("div", shifted, total), _f(0.0))
    return [clean, K.Let(top, _f(float("-inf"))),
            K.Loop(t, K.Const(0), K.Const(targets), (K.Let(top, _b("max", top, value)),)),
            K.Let(total, _f(0.0)),
            K.Loop(t, K.Const(0), K.Const(targets), (K.Let(total, _b("add", total, shifted)),)),
            K.Loop(t, K.Const(0), K.Const(targets), (
                K.Store(out, at, K.Cast(ratio, out.dtype)),))]


@lowers("TreeEnsemble", dtypes=FLOAT_ELEMENT_TYPES)
def lower_tree_ensemble(ctx: LoweringContext, node: Any) -> None:
    attrs = node.attrs
    rows, features = static_shape(node.inputs[0])
    targets, trees = attrs["n_targets"], len(attrs["tree_roots"])
    tables = Tables(ctx, attrs)
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    scores = ctx.scratch("tree_scores", rows * targets, WIDE)
    row, t, tree = K.Var("row"), K.Var("t"), K.Var("tree")
    start = {2: float("inf"), 3: float("-inf")}.get(attrs["aggregate_function"], 0.0)
    walk, leaf = _walk(tables, x, row, features, _tree_depth(attrs), tree)
    body = (K.Loop(t, K.Const(0), K.Const(targets), (
                K.Store(scores, _b("add", _b("mul", row, targets), t), _f(start)),)),
            K.Loop(tree, K.Const(0), K.Const(trees), tuple(
                walk + _fold_leaf(tables, scores, row, targets, leaf,
                                  attrs["aggregate_function"]))),
            *_post_transform(scores, out, row, targets, attrs, trees))
    ctx.emit("tree_ensemble", [K.Loop(row, K.Const(0), K.Const(rows), body,
                                      parallel=rows > 1)], node.describe())
