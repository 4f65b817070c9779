#!/usr/bin/env bash
# Runs `pipewright tree` over every (file, function) pair of Conducto's examples listed in
# bench/conducto_examples.tsv, and prints how many load and how many print the recorded number
# of nodes (read off each example's code by hand, see the .tsv's header).
#
#   bash bench/conducto_examples.sh [EXAMPLES_DIR] [--verbose]
#
# EXAMPLES_DIR: a checkout of github.com/conducto/examples; default: HEAD of the local mirror
# /work/.mirror/conducto+examples/repo (or $CONDUCTO_EXAMPLES_GIT), unpacked with `git archive`.
# Each pair is evaluated from its file's folder, as a user runs `python pipeline.py FUNC`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
table="$here/conducto_examples.tsv"
cli="$repo/dist/cli.js"
verbose=0
dir=""
for arg in "$@"; do
  case "$arg" in
    -v|--verbose) verbose=1 ;;
    *) dir=$arg ;;
  esac
done
[ -f "$cli" ] || node "$repo/scripts/build.mjs" >/dev/null || exit 1
if [ -z "$dir" ]; then
  mirror=${CONDUCTO_EXAMPLES_GIT:-/work/.mirror/conducto+examples/repo}
  if [ ! -e "$mirror" ]; then
    echo "usage: $0 EXAMPLES_DIR   (no checkout given and no mirror at $mirror)" >&2
    exit 2
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  git -C "$mirror" archive HEAD | tar -x -C "$tmp" || exit 1
  dir=$tmp
fi
dir=$(cd "$dir" && pwd)

total=0 trees=0 loaded=0 matched=0 errors=0 same_error=0
failed=()
while IFS=$'\t' read -r file func args expected note; do
  case "$file" in ''|'#'*) continue ;; esac
  total=$((total + 1))
  words=()
  label="$file $func"
  if [ "$args" != "-" ]; then
    read -r -a words <<<"$args"
    label="$label $args"
  fi
  if [ "$expected" = "1+days" ]; then
    expected=$(python3 -c 'import calendar, datetime; d = datetime.date.today(); print(1 + calendar.monthrange(d.year, d.month)[1])')
  fi
  err=$(mktemp)
  out=$(cd "$dir/$(dirname "$file")" && node "$cli" tree "$(basename "$file")" "$func" "${words[@]}" --eval-timeout 60 2>"$err")
  code=$?
  why=$(grep -v '^\s*$' "$err" | grep -v '^{"error"' | tail -1 | sed "s|$dir/||")
  rm -f "$err"
  if [ "$expected" = "error" ]; then
    errors=$((errors + 1))
    if [ "$code" -ne 0 ]; then
      same_error=$((same_error + 1))
      [ "$verbose" = 1 ] && echo "ok        $label: fails as in Conducto: $why"
    else
      failed+=("tree      $label: prints a tree where Conducto fails ($note)")
    fi
    continue
  fi
  trees=$((trees + 1))
  if [ "$code" -eq 0 ]; then
    loaded=$((loaded + 1))
    got=$(printf '%s\n' "$out" | wc -l)
    if [ "$got" = "$expected" ]; then
      matched=$((matched + 1))
      [ "$verbose" = 1 ] && echo "ok        $label ($got nodes)"
    else
      failed+=("nodes     $label: $got nodes, expected $expected")
    fi
  else
    failed+=("no tree   $label: $why${note:+   [$note]}")
  fi
done <"$table"

# Conducto's ci_cd tutorial, a package run as `python -m ci_cd --local` (from the client's
# repository, when its mirror is here): `pipewright tree ci_cd` loads its __main__.py in the package.
client=${CONDUCTO_CLIENT_GIT:-/work/.mirror/conducto+conducto/repo}
if [ -e "$client" ]; then
  tut=$(mktemp -d)
  if git -C "$client" archive HEAD tutorials | tar -x -C "$tut" 2>/dev/null; then
    got=$(cd "$tut/tutorials" && node "$cli" tree ci_cd 2>&1 | wc -l)
    # 18: the root, Build and its 3 projects, Test with 3 projects of 3, 3 and 2 tests, Deploy
    if [ "$got" = 18 ]; then echo "tutorial  ci_cd (python -m ci_cd): 18 nodes, as recorded"
    else failed+=("tutorial  ci_cd (python -m ci_cd): $(cd "$tut/tutorials" && node "$cli" tree ci_cd 2>&1 | tail -1)"); fi
  fi
  rm -rf "$tut"
fi

for line in "${failed[@]}"; do echo "$line"; done
echo "pairs: $total; Conducto prints a tree for $trees of them: Pipewright loads $loaded, $matched with the recorded node count; Conducto fails on $errors: Pipewright too on $same_error"
