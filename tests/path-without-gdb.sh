#!/usr/bin/env bash
# Makes DIR a directory of symbolic links to every command on $PATH except
# gdb*: the PATH of the tests that prove graphleak needs no debugger
# (tests/CMakeLists.txt). The first of a name on $PATH wins, as in a shell.
set -euo pipefail
dir=$1
rm -rf "$dir"
mkdir -p "$dir"
IFS=: read -r -a dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for e in "$d"/*; do
    n=${e##*/}
    case $n in gdb*) continue ;; esac
    [ -f "$e" ] && [ -x "$e" ] || continue
    [ -e "$dir/$n" ] || [ -L "$dir/$n" ] || ln -s "$e" "$dir/$n"
  done
done
