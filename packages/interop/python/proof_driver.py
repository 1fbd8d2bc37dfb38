"""The proof tests' Python parent: python proof_driver.py '<json plan>', one JSON line per event, as it happens.

Like driver.py (same plan: spawn or connect, home, app, calls), plus what the proof needs: the
spawned pid first ({"spawned": pid}), forwarded output ({"stream", "output"}), "$pause" [seconds],
and "$many" [function, n], which sends function(i, i) for i < n at once through call_many and
prints how many came back right ({"many": n, "right": k}). Lines are flushed so a test can act mid-plan.
"""
import json
import sys
import time

from multifrost_worker import APP_V3, ParentWorker, RemoteCallError, ServiceRegistry, WorkerExited

from describe import describe


def emit(line):
    print(json.dumps(line), flush=True)


def main(argv):
    plan = json.loads(argv[0])
    app = plan.get("app", APP_V3)
    output = lambda stream, text: emit({"stream": stream, "output": text})  # noqa: E731
    if "spawn" in plan:
        worker = ParentWorker.spawn(plan["spawn"], app=app, output=output)
        emit({"spawned": worker.process.pid})
    else:
        worker = ParentWorker.connect(plan["connect"], app=app, registry=ServiceRegistry(plan.get("home")), output=output)
    timeout = plan.get("timeout", 30.0)
    with worker:
        for function, args in plan["calls"]:
            if function == "$pause":
                time.sleep(args[0])
                continue
            try:
                if function == "$many":
                    name, n = args
                    results = worker.call_many([(name, [i, i]) for i in range(n)], timeout=timeout)
                    emit({"many": n, "right": sum(1 for i, r in enumerate(results) if r == 2 * i)})
                    continue
                emit({"ok": True, "result": describe(worker.call(function, *args, timeout=timeout))})
            except RemoteCallError as exc:
                emit({"ok": False, "name": exc.name, "message": exc.message})
            except TimeoutError as exc:
                emit({"ok": False, "name": "TimeoutError", "message": str(exc)})
            except WorkerExited as exc:
                emit({"ok": False, "name": "WorkerExited", "message": str(exc)})
                return 0
    emit({"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
