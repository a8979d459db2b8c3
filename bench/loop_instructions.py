#!/usr/bin/env python3
"""Instructions in the innermost loops of compiled kernels: where a kernel's speed cannot be measured (the NEON
kernels on a machine without an ARM core), the instructions per loop iteration, divided by the stored entries
or slots an iteration handles, stand in for it (docs/engine.md's NEON row).

    python3 bench/loop_instructions.py OBJECT [FUNCTION_SUBSTRING ...]

OBJECT is a compiled kernel (build/aarch64/CMakeFiles/eie_engine.dir/src/engine/kernels/spmv_sell16__neon.cpp.o);
each function whose demangled name contains one of the substrings (all when none is given) is listed with its
loops: a conditional or unconditional branch back to an address at or before it, within the function, closes
the loop [target, branch]; a loop that contains another is not innermost and is left out. Each innermost loop
prints its instruction count and the count of each mnemonic. Uses the objdump of the object's architecture
(aarch64-linux-gnu-objdump for AArch64 objects, objdump otherwise). Standard library only."""
import collections
import re
import subprocess
import sys

BRANCH = re.compile(r"^(b(\.\w+)?|cbn?z|tbn?z)$")


def objdump_for(path):
    head = subprocess.run(["file", "-b", path], capture_output=True, text=True).stdout
    return "aarch64-linux-gnu-objdump" if "aarch64" in head.lower() else "objdump"


def functions(path):
    """{demangled name: [(address, mnemonic, operands)]}"""
    text = subprocess.run([objdump_for(path), "-d", "-C", "--no-show-raw-insn", path], capture_output=True,
                          text=True, check=True).stdout
    result, name = {}, None
    for line in text.splitlines():
        header = re.match(r"^([0-9a-f]+) <(.*)>:$", line)
        if header:
            name = header.group(2)
            result[name] = []
            continue
        insn = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if insn and name is not None:
            result[name].append((int(insn.group(1), 16), insn.group(2), insn.group(3)))
    return result


def innermost_loops(insns):
    loops = []
    for address, mnemonic, operands in insns:
        target = re.match(r"^(?:\w+,\s*)*(?:#\d+,\s*)?([0-9a-f]+) <", operands)
        if BRANCH.match(mnemonic) and target:
            start = int(target.group(1), 16)
            if insns[0][0] <= start <= address:
                loops.append((start, address))
    return [l for l in loops if not any(o != l and l[0] <= o[0] and o[1] <= l[1] for o in loops)]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    wanted = sys.argv[2:]
    for name, insns in functions(sys.argv[1]).items():
        if wanted and not any(w in name for w in wanted):
            continue
        for start, end in innermost_loops(insns):
            body = [m for a, m, _ in insns if start <= a <= end]
            mix = collections.Counter(body)
            print(f"{name}\n  loop {start:#x}-{end:#x}: {len(body)} instructions: "
                  + ", ".join(f"{m} {n}" for m, n in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))))


if __name__ == "__main__":
    main()
