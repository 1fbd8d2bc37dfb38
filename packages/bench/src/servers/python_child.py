"""The Python worker used by the benchmarks: multifrost-worker (installed in .venv) with add and echo."""
from multifrost_worker import ChildWorker


class BenchWorker(ChildWorker):
    def add(self, a, b):
        return a + b

    def echo(self, value):
        return value


if __name__ == "__main__":
    BenchWorker().run()
