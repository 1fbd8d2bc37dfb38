"""The interop tests' Python parent: python driver.py '<json plan>' runs calls, prints JSON lines.

plan = {"spawn": [argv...]} or {"connect": "service-id", "home": "..."},
       "app": "comlink_ipc_v3", "env": {...}, "timeout": 30, "calls": [[function, [args...]], ...]
Each call prints {"ok": true, "result": describe(result)} or {"ok": false, "name", "message", "traceback"}.
It uses the pip-installed multifrost_worker (never a source path), so the suite tests what users install.
"""
import json
import sys

from multifrost_worker import APP_V3, ParentWorker, RemoteCallError, ServiceRegistry

from describe import describe


def main(argv):
    plan = json.loads(argv[0])
    app = plan.get("app", APP_V3)
    if "spawn" in plan:
        worker = ParentWorker.spawn(plan["spawn"], app=app, env=plan.get("env"))
    else:
        worker = ParentWorker.connect(plan["connect"], app=app, registry=ServiceRegistry(plan.get("home")))
    with worker:
        for function, args in plan["calls"]:
            try:
                result = worker.call(function, *args, timeout=plan.get("timeout", 30.0))
                print(json.dumps({"ok": True, "result": describe(result)}), flush=True)
            except RemoteCallError as exc:
                print(json.dumps({"ok": False, "name": exc.name, "message": exc.message, "traceback": exc.traceback}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
