"""Start Torget as `make run` does: the ASGI server, the background worker and the alert
delivery worker together.

    python -m torget.core.serve --port 8000

The workers run as child processes and are stopped when the server stops.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

import uvicorn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--no-worker", action="store_true", help="Serve without the worker.")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Links in e-mails point back to this server (the worker sends them).
    os.environ.setdefault("TORGET_SITE_PORT", str(args.port))
    workers = []
    if not args.no_worker:
        workers.append(subprocess.Popen([sys.executable, "manage.py", "worker"]))
        # Alert messages have a worker of their own (torget.alerts.delivery).
        workers.append(subprocess.Popen([sys.executable, "manage.py", "deliver"]))
    try:
        uvicorn.run(
            "config.asgi:application",
            host=args.host,
            port=args.port,
            lifespan="off",
            access_log=False,
            proxy_headers=True,
            log_level="warning",
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
