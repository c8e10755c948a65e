"""service stage: ``ingestd run``, the long-running daemon.

daemon.py     lifecycle: start, signals (TERM drains, second TERM forces, HUP reloads), stop
early_signals.py  signals recorded from process start until the daemon's handlers exist
scheduler.py  per-feed due times on APScheduler (the one module importing it)
writer.py     the store's dedicated thread (the event loop never waits on the database)
politeness.py fleet-wide per-host politeness in the store, on a connection and thread of its own
notify.py     systemd notifications (READY, WATCHDOG, STOPPING, STATUS)
metrics.py    Prometheus counters and the endpoint (the one module importing prometheus_client)
logs.py       logging set-up: JSON lines or text (the one module importing structlog)
"""
