"""CPU-bound work served to Node: counting primes in pure Python, which holds the GIL the whole time."""
import os

from multifrost_worker import ChildWorker  # pip install ./node_modules/multifrost/python


class Primes(ChildWorker):
    def count_primes(self, lo, hi):
        """How many primes lie in [lo, hi), by trial division (slow on purpose: it is the work)."""
        if not (isinstance(lo, int) and isinstance(hi, int)) or lo < 0 or hi < lo:
            raise ValueError(f"count_primes needs 0 <= lo <= hi, got lo={lo!r} hi={hi!r}")
        found = 0
        for n in range(max(lo, 2), hi):
            d = 2
            while d * d <= n:
                if n % d == 0:
                    break
                d += 1
            else:
                found += 1
        return {"count": found, "pid": os.getpid()}


if __name__ == "__main__":
    Primes().run()
