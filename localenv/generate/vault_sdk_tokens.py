"""List the resource and function tokens of a pulumi-vault Python SDK wheel.

vault_sdk_tokens.py WHEEL OUT.json
"""

import json
import re
import sys
import zipfile

RESOURCE = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(vault:[^']+)'")
FUNCTION = re.compile(r"\.invoke(?:_output)?\(\s*'(vault:[^']+)'")


def main(wheel, out):
    resources, functions = set(), set()
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.startswith("pulumi_vault/") and name.endswith(".py"):
                text = z.read(name).decode("utf-8")
                resources.update(RESOURCE.findall(text))
                functions.update(FUNCTION.findall(text))
    if not resources:
        sys.exit("no resource tokens found in " + wheel)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"resources": sorted(resources), "functions": sorted(functions)}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
