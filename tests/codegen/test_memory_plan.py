"""The arena planner: aligned offsets, no sharing between live tensors, reuse after death."""

from hypothesis import given
from hypothesis import strategies as st
from vinify.codegen.memory_plan import ARENA_SLACK, TensorLife, align_up, plan_arena


def test_dead_tensors_share_bytes_and_live_ones_do_not():
    lives = [TensorLife("a", 1000, 0, 1), TensorLife("b", 1000, 1, 2), TensorLife("c", 1000, 2, 3)]
    plan = plan_arena(lives)
    assert plan.offsets["a"] != plan.offsets["b"]
    assert plan.offsets["b"] != plan.offsets["c"]
    assert plan.offsets["a"] == plan.offsets["c"]  # a died before c was born
    assert plan.size == 2 * align_up(1000) + ARENA_SLACK


@given(st.lists(st.tuples(st.integers(1, 5000), st.integers(0, 20), st.integers(0, 8)),
                min_size=1, max_size=25))
def test_random_lifetimes_never_overlap_in_memory(specs):
    lives = [TensorLife(f"t{i}", size, first, first + length)
             for i, (size, first, length) in enumerate(specs)]
    plan = plan_arena(lives)
    for tensor in lives:
        start = plan.offsets[tensor.name]
        assert start % 64 == 0 and start + tensor.nbytes <= plan.size
    for i, one in enumerate(lives):
        for other in lives[i + 1:]:
            if not one.overlaps(other):
                continue
            a, b = plan.offsets[one.name], plan.offsets[other.name]
            assert a + one.nbytes <= b or b + other.nbytes <= a
    assert plan.size <= sum(align_up(t.nbytes) for t in lives) + ARENA_SLACK
