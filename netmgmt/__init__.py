"""Network management's pure core: the LTE network's inventory, cell KPI time series, alarms, QoS profiles and
uplifts, and radio conditions at a point. Plain typed inputs (dataclasses, numpy arrays); it imports nothing of
psn and nothing of the simulator. psn's shell (`psn.net`, `psn.api.net`) feeds it from the bus and serves it."""
