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
A generator method (`def tokens(self): yield ...`, or `async def` with `yield`) streams:
`for t in parent.stream("tokens")` here, `for await (const t of worker.stream.tokens())` in Node.
"""
from .curve import AuthFailed, CurveUnavailable
from .curve_keys import create_certificates
from .messages import APP_IDS, APP_V3, APP_V4, LIST_FUNCTIONS_CALL
from .parent import ParentWorker, RemoteCallError, WorkerExited
from .stream_reader import StreamProtocolError, StreamsUnsupported
from .streams import NotAStreamError, StreamingMethodError
from .registry import RegistryCorruptError, RegistryLockedError, RegistryLockTimeout, ServiceRegistry, registry_home
from .worker import ChildWorker

__version__ = "0.1.0"
__all__ = [
    "APP_IDS", "APP_V3", "APP_V4", "LIST_FUNCTIONS_CALL", "AuthFailed", "ChildWorker", "CurveUnavailable",
    "NotAStreamError", "ParentWorker", "RegistryCorruptError", "RegistryLockTimeout", "RegistryLockedError",
    "RemoteCallError", "ServiceRegistry", "StreamProtocolError", "StreamingMethodError", "StreamsUnsupported",
    "WorkerExited", "create_certificates", "registry_home",
]
