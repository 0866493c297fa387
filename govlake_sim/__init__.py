"""govlake_sim: the simulator — a synthetic city and stand-ins for the departments' systems.

Nothing in the product (``govlake``, ``spark_jobs``, ``dags``) imports this package: an
import-linter contract in ``pyproject.toml`` fails ``make test`` when ``govlake`` or ``spark_jobs``
does, and ``tests/architecture`` when a DAG file does at parse time. The simulator uses the
product's contracts, settings, divisions and identity rules, as any department system would follow
the published contracts, and the product's platform helpers (PostgreSQL, managed processes,
secrets, the CLI's error handling) to run its stand-ins.

- ``generator``: the city (population, hierarchy, grids) and its nine feeds with recorded defects
- ``police_api``: the police department's HTTP incident API (cursor pulls)
- ``urban_db``: the urban-management department's database (watermark pulls)
- ``services``: the police API stand-in as a managed local process (``govlake-sim up``)
- ``sandbox``: a private set of schemas, database and API for tests and benchmarks
- ``cli``: the ``govlake-sim`` command
"""
