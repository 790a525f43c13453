"""vinify.frontends."""
