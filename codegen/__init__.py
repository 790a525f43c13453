"""vinify.codegen."""
