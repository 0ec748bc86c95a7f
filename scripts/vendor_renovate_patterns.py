"""Regenerate ``rules/dependency_manifests.json`` from a clone of renovatebot/renovate.

Usage: ``python scripts/vendor_renovate_patterns.py GIT_DIR [--output rules/dependency_manifests.json]``

Reads ``lib/modules/manager/*/index.ts`` at the clone's HEAD with ``git show`` (git objects only)
and keeps, per manager, the string literals of ``defaultConfig.managerFilePatterns`` (older
releases: ``fileMatch``). Only these patterns, which are facts about file names, are vendored,
with attribution; no Renovate code is copied. Renovate is AGPL-3.0.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

_KEY = re.compile(r"(managerFilePatterns|fileMatch)\s*:\s*\[")


def array_strings(src: str, start: int) -> list[str]:
    """The string literals of the JavaScript array literal starting after index ``start`` (just
    past its ``[``), up to its closing ``]``; comments skipped."""
    out: list[str] = []
    i = start
    while i < len(src):
        ch = src[i]
        if ch == "]":
            return out
        if src.startswith("//", i):
            i = src.index("\n", i)
            continue
        if ch in "'\"`":
            j = i + 1
            buf = []
            while src[j] != ch:
                if src[j] == "\\":
                    buf.append(src[j + 1])
                    j += 2
                    continue
                buf.append(src[j])
                j += 1
            out.append("".join(buf))
            i = j + 1
            continue
        i += 1
    return out


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True, text=True).stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("--output", default="rules/dependency_manifests.json")
    args = ap.parse_args()
    commit = git(args.repo, "rev-parse", "HEAD").strip()
    date = git(args.repo, "log", "-1", "--format=%cI", "HEAD").strip()
    version = git(args.repo, "describe", "--tags", "HEAD").strip()
    names = git(args.repo, "ls-tree", "--name-only", "HEAD", "lib/modules/manager/").split()
    managers: dict[str, list[str]] = {}
    for d in names:
        try:
            src = git(args.repo, "show", f"HEAD:{d}/index.ts")
        except subprocess.CalledProcessError:
            continue
        at = src.find("defaultConfig")
        m = _KEY.search(src, at) if at >= 0 else None
        if not m:
            continue
        pats = array_strings(src, m.end())
        lock = re.search(r"lockFileNames\s*=\s*\[", src)
        if lock:
            pats += ["**/" + name for name in array_strings(src, lock.end())]
        if pats:
            managers[d.rsplit("/", 1)[1]] = pats
    out = {
        "source": "https://github.com/renovatebot/renovate",
        "commit": commit,
        "version": version,
        "date": date,
        "licence": (
            "Renovate is licensed under the GNU Affero General Public License v3.0. Only the lists of file-name "
            "patterns of its package managers (defaultConfig.managerFilePatterns in lib/modules/manager/*/index.ts) "
            "are reproduced here, as data with attribution: they are facts about which file names hold "
            "dependencies, not Renovate code. Regenerate with scripts/vendor_renovate_patterns.py."
        ),
        "syntax": "lock files (lockFileNames) appear as '**/<name>'; a pattern '/.../' is a JavaScript regular expression over the repository path; any other pattern is a minimatch glob",
        "managers": dict(sorted(managers.items())),
    }
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    sys.stdout.write(f"{len(managers)} managers, {sum(map(len, managers.values()))} patterns -> {args.output}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
