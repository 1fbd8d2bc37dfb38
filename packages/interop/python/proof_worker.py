"""The proof tests' Python worker: echo_worker's methods plus a CPU-bound one, spin(seconds)."""
import os
import time

from echo_worker import EchoWorker


class ProofWorker(EchoWorker):
    def spin(self, seconds):
        """Pure-Python work (no sleep, no I/O) for `seconds`, holding the GIL as much as Python lets it."""
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            n += 1
        return n


if __name__ == "__main__":
    ProofWorker(service_id=os.environ.get("MF_SERVICE_ID") or None).run()
