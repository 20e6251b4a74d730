"""Record the golden trajectories: ``python tests/train/golden/record.py [NAME ...]``.

Run only when a change is meant to alter the training arithmetic, and say so in the commit."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from cases import CASES, run  # noqa: E402

PATH = os.path.join(os.path.dirname(__file__), "trajectories.json")

if __name__ == "__main__":
    names = sys.argv[1:] or list(CASES)
    stored = json.load(open(PATH)) if os.path.exists(PATH) else {}
    for name in names:
        stored[name] = run(name)
        print(f"{name}: {len(stored[name]['loss'])} evaluations, final loss {stored[name]['loss'][-1]:.6e}")
    with open(PATH + ".tmp", "w") as f:
        json.dump(stored, f, indent=None, sort_keys=True)
    os.replace(PATH + ".tmp", PATH)
