"""`make bench` (`PYTHONPATH=scripts python -m bench`), in parts; `__main__` says what it does.

- `__main__`: the command line and the run, engine by engine.
- `servers`: a throwaway database per engine, the Stripe sandbox and the shop under gunicorn.
- `data`: the scaled demo loaded, the shop app in process, the URLs the load rotates through.
- `load`: wrk runs and a small Python client; `buyers`: add to cart and checkout visitors.
- `queries`: SQL statements per request; `measure`: one engine page by page, and hello world.
- `report`: the targets, the table and its copy in README.md.

Shared with `audit.py` and `attack.py` through `scripts/serving.py`.
"""
