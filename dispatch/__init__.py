"""Dispatch: incidents, unit status and ranking of the nearest unit by road time.

Not built yet beyond its road core: ranking will be pure (no I/O) on `traffic.Router.travel_times_to` (one
reverse search from the incident gives every unit's time) and `routes_to` for the top few's route geometry.
"""
