"""B9's peer: datacontract-cli's `test` on each ODCS contract, in its own venv (bench/.venv-dcc).

Run by bench/b9_quality.py as `bench/.venv-dcc/bin/python bench/b9_dcc.py FILE [FILE ...]`;
imports happen before the clock starts. Prints {"seconds": s, "checks": {"file": [[type,
field, result], ...]}} as JSON on its last line.
"""

from __future__ import annotations

import json
import logging
import sys
import time


def main(files: list[str]) -> int:
    logging.disable(logging.WARNING)
    from datacontract.data_contract import DataContract

    out: dict[str, list[list[str | None]]] = {}
    start = time.perf_counter()
    for path in files:
        run = DataContract(data_contract_file=path, server="pg").test()
        out[path] = [
            [c.type, c.field, getattr(c.result, "value", c.result), c.reason] for c in run.checks
        ]
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "checks": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
