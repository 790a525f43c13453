"""vinify.runtime.devices."""
