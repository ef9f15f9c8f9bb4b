"""The input folder's files, in a stable order, without recursion."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Iterable, Iterator, Union

from cleaner.store.outdir import MANIFEST, is_cleaner_manifest

Exclude = Union[Path, Iterable[Path], None]


def excluded_paths(exclude: Exclude) -> list[Path]:
    """`exclude` as a list of paths (one path, several, or None)."""
    return [] if exclude is None else [exclude] if isinstance(exclude, (str, Path)) else list(exclude)


def list_inputs(root: Path, exclude: Exclude = None) -> Iterator[tuple[Path, Path, str | None]]:
    """(path, path relative to root, problem or None) for every non-hidden file, in a
    stable order; folders that cannot be listed and symlinks that lead back into folders
    already read come with the problem, so they are reported, not skipped in silence.

    `exclude` (the output folder, when it lies inside the input; a state file and its
    companions) is never read: a rerun must not take the previous run's output, or its own
    state, for input. Nor is any other folder below `root` that holds a cleaner run's
    manifest (`clean/` of an earlier run, when this one writes to `clean2/`): it comes with
    the problem, so the skip shows in the output.
    """
    if root.is_file():
        yield root, Path(root.name), None
        return
    # Folders are known by (device, inode), not their real path: resolving every path
    # again costs the depth squared in a deep tree.
    excluded = excluded_paths(exclude)
    skip = {key for key in map(_folder_key, excluded) if key is not None}
    skip_files = {os.path.realpath(p) for p in excluded}
    skip_names = {os.path.basename(p) for p in skip_files}  # resolve only the files so named
    seen = {_folder_key(root)}
    # A stack of folders, not os.walk: os.walk recurses, and a tree 1,000 folders deep
    # would end the run with a RecursionError. Same order as os.walk top-down: a folder's
    # files, then each of its folders in turn, depth first.
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                # Hidden files and folders (.git, .DS_Store) are not inputs; sorting makes
                # the walk independent of the file system's order.
                listed = [(e.name, _dir_key(e), e.is_symlink()) for e in entries if not e.name.startswith(".")]
        except OSError as exc:
            rel = folder.relative_to(root) if folder != root else Path(folder.name or ".")
            yield folder, rel, f"cannot read folder: {exc.strerror or exc}"
            continue
        if folder != root and any(x[0] == MANIFEST and x[1] is None for x in listed) \
                and is_cleaner_manifest(folder / MANIFEST):
            yield folder, folder.relative_to(root), (f"an earlier cleaner run's output ({MANIFEST}): not read as input "
                                                     "(give the folder, or one of its files, as INPUT to read it)")
            continue
        keep = []
        # Real folders before symlinks, so a folder is read under its own name.
        for name, key, link in sorted((x for x in listed if isinstance(x[1], tuple)), key=lambda x: (x[2], x[0])):
            assert isinstance(key, tuple)
            path = folder / name
            if key in skip:
                continue
            if key in seen:  # a symlink loop, or a second way into a folder: read it once
                what = "symlink to a folder" if link else "folder"
                yield path, path.relative_to(root), f"{what} already read ({os.path.realpath(path)}): not read twice"
                continue
            seen.add(key)
            keep.append(path)
        for name, _, _ in sorted(x for x in listed if x[1] is None):
            path = folder / name
            if name in skip_names and os.path.realpath(path) in skip_files:
                continue
            yield path, path.relative_to(root), None
        # A folder that cannot be looked at (its path is longer than the system's limit,
        # PATH_MAX, in a tree too deep to name): reported, not taken for a file.
        for name, key, _ in sorted(x for x in listed if isinstance(x[1], str)):
            path = folder / name
            yield path, path.relative_to(root), f"cannot read folder: {key}"
        stack.extend(reversed(keep))


def _dir_key(entry: os.DirEntry[str]) -> tuple[int, int] | str | None:
    """A folder's (device, inode), following symlinks, as a folder reached through one
    is read; None for anything else; the problem, for a folder the listing names that
    cannot be looked at (its path too long: `is_dir` answers from the listing, `stat`
    needs the path)."""
    try:
        if not entry.is_dir():
            return None
    except OSError:
        return None
    try:
        st = entry.stat()
    except OSError as exc:
        if exc.errno == errno.ENOENT:  # gone since it was listed
            return None
        return str(exc.strerror or exc)
    return st.st_dev, st.st_ino


def _folder_key(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino
