"""A Python worker used by Multifrost's interop tests: echo, arithmetic, errors, printing, async."""
import asyncio
import os
import sys
import time

from multifrost_worker import ChildWorker

from describe import describe


class EchoWorker(ChildWorker):
    def echo(self, value):
        return value

    def describe(self, value):
        """How the value looks on the Python side (its Python type), as JSON-able data."""
        return describe(value)

    def add(self, a, b):
        return a + b

    def divide(self, a, b):
        return a / b

    async def async_add(self, a, b):
        await asyncio.sleep(0.01)
        return a + b

    def shout(self, text):
        print(text)
        print(f"err:{text}", file=sys.stderr)
        return len(text)

    def sleep(self, seconds):
        time.sleep(seconds)
        return seconds

    def pid(self):
        return os.getpid()

    def blob(self, size):
        return b"\x07" * size

    def nothing(self):
        return None

    def _hidden(self):
        return "never"


if __name__ == "__main__":
    EchoWorker(service_id=os.environ.get("MF_SERVICE_ID") or None).run()
