"""A toy "model" served to Node: a tiny logistic regression, in pure Python."""
import math
import os
import sys

from multifrost_worker import ChildWorker  # pip install ./node_modules/multifrost/python

WEIGHTS = [2.5, -1.25, 0.75]
BIAS = -0.3


class Model(ChildWorker):
    def predict(self, features):
        """Probability that `features` (three floats) belong to the positive class."""
        if len(features) != len(WEIGHTS):
            raise ValueError(f"expected {len(WEIGHTS)} features, got {len(features)}")
        z = BIAS + sum(w * x for w, x in zip(WEIGHTS, features))
        return 1 / (1 + math.exp(-z))

    def predict_batch(self, rows):
        return [self.predict(row) for row in rows]

    def info(self):
        print(f"model info requested (python {sys.version.split()[0]})")
        return {"weights": WEIGHTS, "bias": BIAS, "pid": os.getpid()}


if __name__ == "__main__":
    Model().run()
