"""multifrost-worker: Python workers (and callers) for Multifrost, the Node ↔ other-process RPC.

    from multifrost_worker import ChildWorker

    class Model(ChildWorker):
        def predict(self, xs): return sum(xs)
        async def fetch(self, url): ...

    if __name__ == "__main__":
        Model().run()

A Node parent then does `ParentWorker.spawn('./model.py')` and `await model.call.predict([1, 2])`.
Speaks app ids comlink_ipc_v3 and comlink_ipc_v4, like the public Multifrost peers. Connect mode
can use CURVE: `ChildWorker(service_id=..., security={"curve": {"key": ..., "allow": [...]}})` and
`ParentWorker.connect(service_id, security={"curve": {"key": ...}})`.
"""
from .curve import AuthFailed, CurveUnavailable
from .curve_keys import create_certificates
from .messages import APP_IDS, APP_V3, APP_V4, LIST_FUNCTIONS_CALL
from .parent import ParentWorker, RemoteCallError, WorkerExited
from .registry import RegistryCorruptError, RegistryLockedError, RegistryLockTimeout, ServiceRegistry, registry_home
from .worker import ChildWorker

__version__ = "0.1.0"
__all__ = [
    "APP_IDS", "APP_V3", "APP_V4", "LIST_FUNCTIONS_CALL", "AuthFailed", "ChildWorker", "CurveUnavailable",
    "ParentWorker", "RegistryCorruptError", "RegistryLockTimeout", "RegistryLockedError", "RemoteCallError",
    "ServiceRegistry", "WorkerExited", "create_certificates", "registry_home",
]
