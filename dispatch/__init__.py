"""Dispatch: incidents, unit status and ranking of the nearest unit by road time.

Not built yet — no open issue asks for it. It will be pure (no I/O), ranking on `traffic.RoadNetwork`.
"""
