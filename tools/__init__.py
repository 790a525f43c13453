"""vinify.tools."""
