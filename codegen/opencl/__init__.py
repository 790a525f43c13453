"""OpenCL C code generation: a C-style renderer of the shared kernel IR, OpenCL overrides."""
