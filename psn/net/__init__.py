"""Network management's shell: the bus subscribers and services around the pure `netmgmt/` core (inventory, cell
KPI time series, alarms, QoS profiles and uplifts, radio conditions at a point); REST in `psn.api.net`."""
