"""``ingestd serve``: a read-only web view of the store.

    request ─▶ app (routes, security headers, token) ─▶ queries (read-only store,
    bounded SQL over the documented views) ─▶ views / compare (pure) ─▶ templates | JSON

- :mod:`ingestd.serve.queries` opens the store read-only and runs every
  query with a LIMIT and a time budget;
- :mod:`ingestd.serve.compare` computes the side-by-side "what was copied"
  view with the matcher's own normalisation, shingles and verification;
- :mod:`ingestd.serve.views` turns rows into page models (chain graph
  layout, evidence in words, pagination);
- :mod:`ingestd.serve.app` is the Starlette application (HTML pages and the
  JSON API under ``/api/v1/``), run by uvicorn.
"""
