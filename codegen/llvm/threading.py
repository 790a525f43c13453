"""How the threads of a CPU blob share an inference: one libgomp team for the whole graph.

`vinify_run` opens one `GOMP_parallel` region whose body walks every kernel in order. Each
kernel has its own block of context slots [arena, weights, grab counter, done counter], zeroed
by `vinify_run` before the region:
- a parallel kernel hands out chunks of its loop from the grab counter; every thread adds the
  iterations it finished to the done counter and leaves the kernel once all are done;
- any other kernel runs on thread 0, which then sets the done counter; the others wait for it.
A thread that the OS has not scheduled takes no chunks and holds nobody up: the running
threads do all the work and move on, and it catches up through finished kernels on waking.
Per layer this costs an atomic add and a short spin instead of a libgomp barrier (a futex
sleep and wake-up per layer with passive waiting, or a stalled team on shared cores with active
waiting). Waits spin with `pause`, then yield the core to other processes.
"""

import llvmlite.ir as ir

I32, I64 = ir.IntType(32), ir.IntType(64)
I8P = ir.PointerType(ir.IntType(8))
VOID = ir.VoidType()
CONTEXT_SLOTS = 4  # arena, weights, grab counter, done counter (per kernel)
COUNTER_SLOT = 2
DONE_SLOT = 3
SPINS_BEFORE_YIELD = 2000  # ~0.1 ms of `pause`: longer waits give the core away


def slot(builder: ir.IRBuilder, context: ir.Value, index: int) -> ir.Value:
    """An i64 pointer to context slot `index` (slots are pointer-sized)."""
    return builder.bitcast(builder.gep(context, [I32(index)]), ir.PointerType(I64))


def wait_until_done(owner, builder: ir.IRBuilder, done: ir.Value, target: ir.Value) -> None:
    """Spins until the counter at `done` reaches `target` (acquire: the work it counts is then
    visible), with `pause` first and `sched_yield` after SPINS_BEFORE_YIELD rounds."""
    pause = owner.declare("llvm.x86.sse2.pause", VOID, [])
    sched_yield = owner.declare("sched_yield", I32, [])
    before = builder.block
    check = builder.append_basic_block("wait")
    spin = builder.append_basic_block("spin")
    give_way = builder.append_basic_block("yield")
    resume = builder.append_basic_block("waited")
    builder.branch(check)
    builder.position_at_end(check)
    rounds = builder.phi(I64, name="rounds")
    rounds.add_incoming(I64(0), before)
    value = builder.load_atomic(done, "acquire", 8)
    builder.cbranch(builder.icmp_signed(">=", value, target), resume, spin)
    builder.position_at_end(spin)
    builder.call(pause, [])
    next_round = builder.add(rounds, I64(1))
    rounds.add_incoming(next_round, spin)
    rounds.add_incoming(next_round, give_way)
    builder.cbranch(builder.icmp_signed("<", rounds, I64(SPINS_BEFORE_YIELD)), check, give_way)
    builder.position_at_end(give_way)
    builder.call(sched_yield, [])
    builder.branch(check)
    builder.position_at_end(resume)


def render_entry(owner, kernels: list, functions: list, is_parallel) -> None:
    """`void vinify_run(i8* arena, i8* weights, i32 threads)` and the region body it runs."""
    body = render_region_body(owner, kernels, functions, is_parallel)
    entry = ir.Function(owner.module, ir.FunctionType(VOID, [I8P, I8P, I32]), "vinify_run")
    entry.attributes.add("nounwind")
    builder = ir.IRBuilder(entry.append_basic_block("entry"))
    blocks = builder.alloca(I8P, CONTEXT_SLOTS * max(len(kernels), 1), name="ctx")
    for index in range(len(kernels)):
        base = index * CONTEXT_SLOTS
        builder.store(entry.args[0], builder.gep(blocks, [I32(base)]))
        builder.store(entry.args[1], builder.gep(blocks, [I32(base + 1)]))
        builder.store(I64(0), slot(builder, blocks, base + COUNTER_SLOT))
        builder.store(I64(0), slot(builder, blocks, base + DONE_SLOT))
    body_type = ir.PointerType(ir.FunctionType(VOID, [I8P]))
    gomp = owner.declare("GOMP_parallel", VOID, [body_type, I8P, I32, I32])
    builder.call(gomp, [builder.bitcast(body, body_type), builder.bitcast(blocks, I8P),
                        entry.args[2], I32(0)])
    builder.ret_void()


def render_region_body(owner, kernels: list, functions: list, is_parallel) -> ir.Function:
    """`void vinify_region(i8* blocks)`, run by every thread of the team."""
    body = ir.Function(owner.module, ir.FunctionType(VOID, [I8P]), "vinify_region")
    body.attributes.add("nounwind")
    builder = ir.IRBuilder(body.append_basic_block("entry"))
    blocks = builder.bitcast(body.args[0], ir.PointerType(I8P))
    thread = builder.call(owner.declare("omp_get_thread_num", I32, []), [])
    leader = builder.icmp_signed("==", thread, I32(0))
    for index, (kernel, function) in enumerate(zip(kernels, functions)):
        context = builder.gep(blocks, [I32(index * CONTEXT_SLOTS)])
        if is_parallel(kernel):
            builder.call(function, [context])
            continue
        done = slot(builder, context, DONE_SLOT)
        with builder.if_else(leader) as (then, otherwise):
            with then:
                builder.call(function, [context])
                builder.store_atomic(I64(1), done, "release", 8)
            with otherwise:
                wait_until_done(owner, builder, done, I64(1))
    builder.ret_void()
    return body
