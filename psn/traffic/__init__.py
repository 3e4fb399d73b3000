"""The traffic shell: services that feed the pure `traffic` package from the bus and the video hub."""
