"""Radio physics: path loss, antenna, shadowing, link abstraction, scheduling and QoS (pure numpy)."""
