"""The sandbox's routes: one module per Plivo resource and per part of the control API."""
