"""Ready problems: each module exposes ``problem(**params)``, ``DEFAULTS`` and ``solve(**fit_overrides)``.

``REGISTRY`` names them for the ``pinnfield`` command.
"""

REGISTRY = {
    "poisson": "Poisson on the unit square with u = sin(pi x) sin(pi y): exact and 5-point FD references",
}
