"""The Python worker used by the benchmarks: the interop suite's Python peer with add and echo."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "interop", "python"))
from multifrost_py import ChildWorker  # noqa: E402


class BenchWorker(ChildWorker):
    def add(self, a, b):
        return a + b

    def echo(self, value):
        return value


if __name__ == "__main__":
    BenchWorker().run()
