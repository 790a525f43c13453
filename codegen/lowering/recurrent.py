"""RNNSequence, GRUSequence and LSTMSequence (also with peepholes) on f32: one kernel per
direction, batch items in parallel, time steps in order.

The final-state outputs (Ho, Co) hold the running state: they start as H0/C0 and every step
overwrites them after its gates are complete, so they end as the reference's final states. A
batch item runs only its own sequence length (the time loop's bound is read at run time), and
the reverse direction starts at its last valid step; Y is zeroed first so the positions past a
length stay 0, as in the reference.
"""

from dataclasses import dataclass
from typing import Any, Callable

from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.errors import DeviceError

STATES = {"RNNSequence": 1, "GRUSequence": 1, "LSTMSequence": 2, "PeepholeLSTMSequence": 2}


def _f(value: float) -> K.Const:
    return K.Const(float(value), "f32")


def _b(op: str, a: K.Expr, b: K.Expr) -> K.Expr:
    return K.Binary(op, a, b)


def _sigmoid(x: K.Expr) -> K.Expr:
    return _b("div", _f(1), _b("add", _f(1), K.Unary("exp", K.Unary("neg", x))))


def activation(name: str, alpha: float | None, beta: float | None) -> Callable:
    """The activation `name` (ONNX/OpenVINO RNN names) as a kernel IR formula."""
    a = alpha
    table = {
        "sigmoid": _sigmoid,
        "tanh": lambda x: K.Unary("tanh", x),
        "relu": lambda x: _b("max", x, _f(0)),
        "hardsigmoid": lambda x: _b("min", _b("max", _b("add", _b(
            "mul", _f(0.2 if a is None else a), x), _f(0.5 if beta is None else beta)), _f(0)),
            _f(1)),
        "softsign": lambda x: _b("div", x, _b("add", _f(1), K.Unary("abs", x))),
        "softplus": lambda x: K.Unary("log", _b("add", _f(1), K.Unary("exp", x))),
        "leakyrelu": lambda x: K.Select(_b("ge", x, _f(0)), x,
                                        _b("mul", _f(0.01 if a is None else a), x)),
        "elu": lambda x: K.Select(_b("ge", x, _f(0)), x, _b("mul", _f(1.0 if a is None else a),
                                                           _b("sub", K.Unary("exp", x), _f(1)))),
        "scaledtanh": lambda x: _b("mul", _f(1.0 if a is None else a), K.Unary(
            "tanh", _b("mul", _f(1.0 if beta is None else beta), x))),
        "affine": lambda x: _b("add", _b("mul", _f(1.0 if a is None else a), x),
                               _f(0.0 if beta is None else beta)),
        "thresholdedrelu": lambda x: K.Select(_b("gt", x, _f(1.0 if a is None else a)), x, _f(0)),
    }
    if name not in table:
        raise DeviceError(f"CPU: unknown recurrent activation {name}")
    return table[name]


class Activations:
    """Activation `index` of the node, with the clip applied first unless `plain`."""

    def __init__(self, attrs: dict):
        alphas, betas = list(attrs["activations_alpha"]), list(attrs["activations_beta"])
        self.functions = [activation(name.lower(), alphas[i] if i < len(alphas) else None,
                                     betas[i] if i < len(betas) else None)
                          for i, name in enumerate(attrs["activations"])]
        self.clip = attrs["clip"]

    def __call__(self, index: int, x: K.Expr, plain: bool = False) -> K.Expr:
        if self.clip > 0 and not plain:
            x = _b("min", _b("max", x, _f(-self.clip)), _f(self.clip))
        return self.functions[index](x)


@dataclass
class Step:
    """One direction's buffers and sizes; `b` (batch item) and `pos` (time) are loop values."""

    x: K.Buffer
    w: K.Buffer
    r: K.Buffer
    bias: K.Buffer
    h: K.Buffer  # the Ho output, used as the running state
    gates: K.Buffer  # scratch: [batch, 4 * hidden]
    direction: int
    directions: int
    hidden: int
    inputs: int
    seq: int
    b: K.Var
    pos: K.Var

    def state(self, j: K.Expr) -> K.Expr:
        return K.index_of([self.b, K.Const(self.direction), j],
                          [self.directions * self.hidden, self.hidden, 1])

    def gate(self, row: int, j: K.Expr) -> K.Expr:
        return _b("add", _b("mul", self.b, K.Const(4 * self.hidden)), _b("add", K.Const(row), j))

    def bias_at(self, row: K.Expr) -> K.Expr:
        per_direction = self.bias.size // self.directions
        return K.Load(self.bias, _b("add", K.Const(self.direction * per_direction), row))

    def matvec(self, row: K.Expr, with_input: bool, state: Callable | None) -> list[K.Stmt]:
        """acc = X[b, pos] . W[row] (when with_input) + state(i) . R[row] (when given)."""
        acc, i = K.Var("acc", "f32"), K.Var("i")
        statements: list[K.Stmt] = [K.Let(acc, _f(0))]
        if with_input:
            x_at = K.index_of([self.b, self.pos, i], [self.seq * self.inputs, self.inputs, 1])
            w_at = K.index_of([K.Const(self.direction), row, i],
                              [self.w.size // self.directions, self.inputs, 1])
            statements.append(K.Loop(i, K.Const(0), K.Const(self.inputs), (
                K.Let(acc, K.Fma(K.Load(self.x, x_at), K.Load(self.w, w_at), acc)),)))
        if state is not None:
            r_at = K.index_of([K.Const(self.direction), row, i],
                              [self.r.size // self.directions, self.hidden, 1])
            statements.append(K.Loop(i, K.Const(0), K.Const(self.hidden), (
                K.Let(acc, K.Fma(state(i), K.Load(self.r, r_at), acc)),)))
        return statements

    def gate_rows(self, first: int, count: int, with_input: bool, state: Callable | None,
                  bias_row: int | None = None, target_row: int | None = None) -> K.Stmt:
        """gates[target + g] = matvec(first + g) + bias[bias_row + g] for g < count."""
        g = K.Var("g")
        row = _b("add", K.Const(first), g)
        bias = self.bias_at(_b("add", K.Const(first if bias_row is None else bias_row), g))
        target = self.gate(first if target_row is None else target_row, g)
        acc = K.Var("acc", "f32")
        body = self.matvec(row, with_input, state) + [K.Store(self.gates, target,
                                                              _b("add", acc, bias))]
        return K.Loop(g, K.Const(0), K.Const(count), tuple(body))

    def hidden_state(self, i: K.Expr) -> K.Expr:
        return K.Load(self.h, self.state(i))


def rnn_step(step: Step, act: Activations, node: Any, extra: dict) -> tuple[list, Callable]:
    """Statements computing the gates; then the new hidden value at j (and side stores)."""
    hidden = step.hidden
    rows = [step.gate_rows(0, hidden, True, step.hidden_state)]
    return rows, lambda j: ([], act(0, K.Load(step.gates, step.gate(0, j))))


def lstm_step(step: Step, act: Activations, node: Any, extra: dict) -> tuple[list, Callable]:
    """Gates f, i, c, o; with peepholes (P: i, o, f weights) the old cell state feeds the
    input and forget gates and the new one the output gate."""
    hidden, cell, peephole = step.hidden, extra["cell"], extra["peephole"]
    rows = [step.gate_rows(0, 4 * hidden, True, step.hidden_state)]

    def peep(part: int, j: K.Expr, state: K.Expr) -> K.Expr:
        at = _b("add", K.Const(step.direction * 3 * hidden + part * hidden), j)
        return _b("mul", K.Load(peephole, at), state)

    def update(j):
        gate = [K.Load(step.gates, step.gate(k * hidden, j)) for k in range(4)]
        c_old, c_new = K.Load(cell, step.state(j)), K.Var("c_new", "f32")
        if peephole is not None:
            gate[0] = _b("add", gate[0], peep(2, j, c_old))
            gate[1] = _b("add", gate[1], peep(0, j, c_old))
        forget, enter, candidate = act(0, gate[0]), act(0, gate[1]), act(1, gate[2])
        out_gate = gate[3] if peephole is None else _b("add", gate[3], peep(1, j, c_new))
        statements = [K.Let(c_new, K.Fma(forget, c_old, _b("mul", enter, candidate))),
                      K.Store(cell, step.state(j), c_new)]
        return statements, _b("mul", act(0, out_gate), act(2, c_new, plain=True))

    return rows, update


def gru_step(step: Step, act: Activations, node: Any, extra: dict) -> tuple[list, Callable]:
    hidden, reset_h = step.hidden, extra["reset_h"]
    before = node.attrs["linear_before_reset"]
    rows = [step.gate_rows(0, 2 * hidden, True, step.hidden_state),
            step.gate_rows(2 * hidden, hidden, True, None)]
    if before:
        rows.append(step.gate_rows(2 * hidden, hidden, False, step.hidden_state, 3 * hidden,
                                   3 * hidden))
    else:
        k = K.Var("k")
        scaled_at = _b("add", _b("mul", step.b, K.Const(hidden)), k)
        reset = act(0, K.Load(step.gates, step.gate(hidden, k)))
        rows.append(K.Loop(k, K.Const(0), K.Const(hidden), (
            K.Store(reset_h, scaled_at, _b("mul", reset, step.hidden_state(k))),)))
        rows.append(_rows_without_bias(step, reset_h))

    def update(j):
        z = act(0, K.Load(step.gates, step.gate(0, j)))
        reset = act(0, K.Load(step.gates, step.gate(hidden, j)))
        x_part = K.Load(step.gates, step.gate(2 * hidden, j))
        h_part = K.Load(step.gates, step.gate(3 * hidden, j))
        candidate = act(1, _b("add", x_part, _b("mul", reset, h_part) if before else h_part))
        old = step.hidden_state(j)
        return [], _b("add", _b("mul", _b("sub", _f(1), z), candidate), _b("mul", z, old))

    return rows, update


def _rows_without_bias(step: Step, scaled: K.Buffer) -> K.Stmt:
    """gates[3H + g] = (reset * h) . R_h[g], the candidate's recurrent part."""
    g, acc = K.Var("g"), K.Var("acc", "f32")
    hidden = step.hidden
    state = lambda i: K.Load(scaled, _b("add", _b("mul", step.b, K.Const(hidden)), i))  # noqa
    body = step.matvec(_b("add", K.Const(2 * hidden), g), False, state)
    body.append(K.Store(step.gates, step.gate(3 * hidden, g), acc))
    return K.Loop(g, K.Const(0), K.Const(hidden), tuple(body))


STEPS = {"RNNSequence": rnn_step, "GRUSequence": gru_step, "LSTMSequence": lstm_step,
         "PeepholeLSTMSequence": lstm_step}


@lowers(*STEPS)
def lower_sequence(ctx: LoweringContext, node: Any) -> None:
    name = node.op.name
    states = STATES[name]
    batch, seq, inputs = static_shape(node.inputs[0])
    hidden = node.attrs["hidden_size"]
    reverse_flags = {"forward": [False], "reverse": [True],
                     "bidirectional": [False, True]}[node.attrs["direction"]]
    buffers = [ctx.buffer(v) for v in node.inputs]
    lengths, w, r, bias = buffers[1 + states:5 + states]
    y, h = ctx.output(node.outputs[0]), ctx.output(node.outputs[1])
    extra = {"cell": ctx.output(node.outputs[2]) if states == 2 else None,
             "reset_h": ctx.scratch("reset_h", batch * hidden),
             "peephole": buffers[7] if name == "PeepholeLSTMSequence" else None}
    gates = ctx.scratch("gates", batch * 4 * hidden)
    act = Activations(node.attrs)
    for direction, reverse in enumerate(reverse_flags):
        b, pos = K.Var("b"), K.Var("pos")
        step = Step(buffers[0], w, r, bias, h, gates, direction, len(reverse_flags), hidden,
                    inputs, seq, b, pos)
        body = _initial_states(step, buffers, states, extra, y)
        body += _time_loop(step, STEPS[name](step, act, node, extra), lengths, reverse, y)
        ctx.emit(name.lower(), [K.Loop(b, K.Const(0), K.Const(batch), tuple(body),
                                       parallel=batch > 1)], node.describe())


def _initial_states(step: Step, buffers: list, states: int, extra: dict, y: K.Buffer):
    j, t = K.Var("j"), K.Var("t")
    copies = [K.Store(step.h, step.state(j), K.Load(buffers[1], step.state(j)))]
    if states == 2:
        copies.append(K.Store(extra["cell"], step.state(j), K.Load(buffers[2], step.state(j))))
    y_at = _y_index(step, t, j)
    return [K.Loop(j, K.Const(0), K.Const(step.hidden), tuple(copies)),
            K.Loop(t, K.Const(0), K.Const(step.seq), (
                K.Loop(j, K.Const(0), K.Const(step.hidden), (K.Store(y, y_at, _f(0)),)),))]


def _y_index(step: Step, t: K.Expr, j: K.Expr) -> K.Expr:
    return K.index_of([step.b, K.Const(step.direction), t, j],
                      [step.directions * step.seq * step.hidden, step.seq * step.hidden,
                       step.hidden, 1])


def _time_loop(step: Step, parts: tuple, lengths: K.Buffer, reverse: bool, y: K.Buffer):
    rows, update = parts
    t, j, length = K.Var("t"), K.Var("j"), K.Var("length")
    new_h = K.Var("h_new", "f32")
    side, value = update(j)
    position = _b("sub", _b("sub", length, K.Const(1)), t) if reverse else t
    apply_new = K.Loop(j, K.Const(0), K.Const(step.hidden), tuple(
        side + [K.Let(new_h, value), K.Store(y, _y_index(step, step.pos, j), new_h)]))
    commit = K.Loop(j, K.Const(0), K.Const(step.hidden), (
        K.Store(step.h, step.state(j), K.Load(y, _y_index(step, step.pos, j))),))
    raw = K.Cast(K.Load(lengths, step.b), "i64")
    clamped = _b("max", _b("min", raw, K.Const(step.seq)), K.Const(0))
    return [K.Let(length, clamped),
            K.Loop(t, K.Const(0), length, (K.Let(step.pos, position), *rows, apply_new, commit))]
