#!/usr/bin/env python3
"""Checks the conformance corpus in this folder (see README.md).

For every document: it parses (JSON, or YAML with PyYAML's safe loader); every entry
document has an `openapi` field of the version its folder name says; every `$ref` resolves,
whether local (`#/...`) or to another file (relative to the file that holds the `$ref`,
which must be in this folder tree), including the JSON pointer after `#`. No `$ref` may point
outside the corpus (no URLs), and every file is reached from an entry document. Prints one
line per document, a note for each non-string mapping key or non-JSON scalar (an unquoted
`200:` response code, a YAML timestamp), and exits non-zero on any problem.

    python3 check_specs.py          # needs PyYAML (pip install pyyaml)
"""

import json
import os
import sys
from urllib.parse import unquote

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
# Entry documents: the ones a loader is pointed at. Every other file is reached by `$ref`.
ENTRIES = {
    "petstore-separate-3.0": "spec/openapi.yaml",
}

problems = []
# Legal YAML that a JSON data model cannot hold as is: kept on purpose, reported, not failed.
notes = []
cache = {}


def load(path):
    if path not in cache:
        with open(path, "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8")
        if path.endswith(".json"):
            cache[path] = json.loads(text)
        else:
            cache[path] = yaml.safe_load(text)
    return cache[path]


def pointer(doc, frag, where):
    if frag in ("", "/"):
        return doc
    if not frag.startswith("/"):
        problems.append(f"{where}: fragment #{frag} is not a JSON pointer")
        return None
    node = doc
    for token in frag[1:].split("/"):
        token = unquote(token).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            problems.append(f"{where}: #{frag} does not resolve")
            return None
    return node


def walk(node, path, seen_files, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                notes.append(f"{rel(path)}{where}: non-string key {key!r} ({type(key).__name__})")
            if key == "$ref" and isinstance(value, str):
                check_ref(value, path, seen_files, f"{rel(path)}{where}")
            else:
                walk(value, path, seen_files, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            walk(item, path, seen_files, f"{where}/{i}")
    elif not isinstance(node, (str, int, float, bool, type(None))):
        notes.append(f"{rel(path)}{where}: YAML {type(node).__name__} value {node!r}")


def check_ref(ref, path, seen_files, where):
    target, _, frag = ref.partition("#")
    if "://" in target:
        problems.append(f"{where}: $ref {ref} leaves the corpus")
        return
    if target:
        file = os.path.normpath(os.path.join(os.path.dirname(path), unquote(target)))
        if not file.startswith(HERE + os.sep) or not os.path.isfile(file):
            problems.append(f"{where}: $ref {ref} -> {rel(file)} is not in the corpus")
            return
        seen_files.add(file)
        visit(file, seen_files)
    else:
        file = path
    pointer(load(file), unquote(frag), f"{where}: $ref {ref}")


visited = set()


def visit(path, seen_files):
    if path in visited:
        return
    visited.add(path)
    walk(load(path), path, seen_files)


def rel(path):
    return os.path.relpath(path, HERE)


def main():
    folders = sorted(d for d in os.listdir(HERE) if os.path.isdir(os.path.join(HERE, d)))
    all_files = set()
    reached = set()
    for folder in folders:
        root = os.path.join(HERE, folder)
        files = sorted(
            os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs
            if f.endswith((".json", ".yaml", ".yml"))
        )
        all_files.update(files)
        entry = os.path.join(root, ENTRIES.get(folder, ""))
        if folder not in ENTRIES:
            tops = [f for f in files if os.path.dirname(f) == root and "openapi" in str(load(f))[:200]]
            tops = [f for f in tops if isinstance(load(f), dict) and "openapi" in load(f)]
            if len(tops) != 1:
                problems.append(f"{folder}: expected one entry document at its top, found {len(tops)}")
                continue
            entry = tops[0]
        doc = load(entry)
        want = folder.rsplit("-", 1)[-1]
        version = str(doc.get("openapi", ""))
        if not version.startswith(want + "."):
            problems.append(f"{rel(entry)}: openapi {version!r}, folder says {want}")
        seen = {entry}
        visit(entry, seen)
        reached |= seen
        kind = "json" if entry.endswith(".json") else "yaml"
        size = sum(os.path.getsize(f) for f in seen)
        print(f"{rel(entry):48} openapi {version:6} {kind:4} files {len(seen):2} bytes {size}")
    for f in sorted(all_files - reached):
        problems.append(f"{rel(f)}: not reached from any entry document")
    for n in notes:
        print("note:", n)
    for p in problems:
        print("PROBLEM:", p)
    print(f"{len(folders)} documents, {len(all_files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
