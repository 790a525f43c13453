"""vinify.passes."""
