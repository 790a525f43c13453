"""vinify.codegen: graphs to native code.

- `target`: what a target supports (ops, element types, vector width, caches, threads); the host
  CPU's features come from LLVM, never assumed.
- `kernel_ir`: the loop-level kernel IR every target shares (buffers, loops, index arithmetic,
  vector loads/stores with masks, gathers/scatters, reductions).
- `lowering/`: graph ops and fused groups (convolution/matmul + epilogue, elementwise chains)
  lowered to kernels, one module per op family, registered by op name.
- `memory_plan`: one 64-byte-aligned arena with reuse by liveness.
- `llvm/`: kernel IR -> LLVM IR (llvmlite) -> object code -> shared library; `opencl/` renders
  the same kernel IR to OpenCL C.
- `cpu_compiler`: the CPU pipeline, graph -> blob (see vinify.runtime.blob for the format).
"""
