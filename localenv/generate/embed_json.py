"""Produce the JSON files that provider binaries embed but module zips lack.

embed_json.py schema  IN OUT VERSION   copy a Pulumi schema with "version" set
embed_json.py compact IN OUT           re-serialise JSON without whitespace
embed_json.py overlay OUT DST=SRC...   write a `go build -overlay` file
"""

import json
import sys


def main(argv):
    cmd, args = argv[0], argv[1:]
    if cmd == "schema":
        src, dst, version = args
        with open(src, encoding="utf-8") as f:
            spec = json.load(f)
        spec["version"] = version
        write(dst, spec)
    elif cmd == "compact":
        src, dst = args
        with open(src, encoding="utf-8") as f:
            write(dst, json.load(f))
    else:
        sys.exit("unknown command " + cmd)


def write(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, separators=(",", ":"), ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1:])
