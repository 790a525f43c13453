"""The LLVM target: kernel IR rendered with llvmlite, compiled to object code, linked to a .so."""
