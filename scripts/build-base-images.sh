#!/usr/bin/env bash
# Build Pipewright's offline base images from Debian packages and `docker
# import` them, since no container registry is reachable:
#   pipewright/busybox:latest  static busybox + applet symlinks (tiny, fast)
#   pipewright/python:latest   debootstrap minbase + python3, GNU parallel, procps
# Each image carries a label with a hash of its recipe; an image whose label
# matches is skipped, so re-runs are fast and a changed recipe rebuilds.
#   --force   rebuild both regardless
# Env: PIPEWRIGHT_DEBIAN_MIRROR overrides the mirror debootstrap uses.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR
. "$here/lib-docker.sh"

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) pw_die "usage: $0 [--force]" ;;
esac

LABEL=io.pipewright.recipe
IMG_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

"$here/ensure-docker.sh"
pw_lock base-images

# All temp dirs live under one root removed on exit. Unmount anything left
# mounted inside (debootstrap mounts proc/sys in the target and may not undo it
# on failure) and never cross filesystems, so the host's /proc is never touched.
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/pipewright-images.XXXXXX")
cleanup() {
  awk -v w="$WORK" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do pw_as_root umount -l "$m" || true; done
  pw_as_root rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

# Recipe hash = source of the build function (recipe constants live inside it)
# and of import_rootfs, plus PATH and CMD; editing any of them rebuilds.
recipe_hash() { # build-fn cmd-json
  { declare -f "$1" import_rootfs; echo "$IMG_PATH $2"; } |
    sha256sum | cut -c1-16
}

up_to_date() { # image hash
  [ "$force" = 0 ] &&
    [ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null)" = "$2" ]
}

# Pack a rootfs as root-owned files (as root: some files are mode 0600) and
# import it with image config set via --change.
import_rootfs() { # dir image hash cmd-json [extra --change args...]
  local dir=$1 image=$2 hash=$3 cmd=$4; shift 4
  pw_as_root tar --numeric-owner -C "$dir" -cf - . |
    docker import \
      --change "ENV PATH=$IMG_PATH" \
      --change "CMD $cmd" \
      --change "ENV LANG=C.UTF-8" \
      --change "LABEL $LABEL=$hash" \
      "$@" - "$image" >/dev/null
}

build_busybox() { # dir
  local dir=$1 bb
  dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
    pw_apt_install busybox-static
  bb=$(dpkg -L busybox-static | grep -m1 '/bin/busybox$')
  mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,root,proc,sys,dev,tmp,var/tmp}
  chmod 1777 "$dir/tmp" "$dir/var/tmp"
  cp "$bb" "$dir/bin/busybox"
  # One symlink per applet at its canonical path (bin/sh, usr/bin/head, ...).
  "$dir/bin/busybox" --list-full | while read -r applet; do
    [ -e "$dir/$applet" ] || ln -s /bin/busybox "$dir/$applet"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$dir/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$dir/etc/group"
}

# First URI apt is configured with that serves the suite (one-line *.list and
# deb822 *.sources formats); deb.debian.org otherwise (e.g. on Ubuntu hosts).
debian_mirror() { # suite
  local m=${PIPEWRIGHT_DEBIAN_MIRROR:-}
  if [ -z "$m" ]; then
    m=$( { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
             awk -v s="$1" '$1 == "deb" { sub(/\[[^]]*\] */, ""); if ($3 == s) { print $2; exit } }'
           awk -v s="$1" '
             FNR == 1 && NR > 1 { if (ok && uri) { print uri; exit } ok = 0; uri = "" }
             /^[ \t]*$/ { if (ok && uri) { print uri; exit } ok = 0; uri = "" }
             tolower($1) == "uris:" { uri = $2 }
             tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
             END { if (ok && uri) print uri }' /etc/apt/sources.list.d/*.sources 2>/dev/null
         } | head -n1)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

build_python() { # dir
  local suite=bookworm pkgs=python3,parallel,procps
  local dir=$1 mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  local need=()
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  [ -r "$keyring" ] || need+=(debian-archive-keyring)
  [ "${#need[@]}" = 0 ] || pw_apt_install "${need[@]}"
  mirror=$(debian_mirror "$suite")
  pw_log "python: debootstrap $suite from $mirror"
  # A persistent .deb cache makes rebuilds (--force, recipe change) quicker.
  pw_as_root mkdir -p /var/cache/pipewright/debootstrap
  pw_as_root debootstrap --variant=minbase --include="$pkgs" \
    --keyring="$keyring" --cache-dir=/var/cache/pipewright/debootstrap \
    "$suite" "$dir" "$mirror" >"$WORK/debootstrap.log" 2>&1 || {
      tail -n 20 "$WORK/debootstrap.log" >&2; pw_die "debootstrap failed"; }
  # Keep it small: no apt caches/lists, docs, manpages or message catalogs
  # (C.UTF-8 is built into glibc). Don't leak host identity (docker
  # bind-mounts its own resolv.conf/hostname anyway).
  # shellcheck disable=SC2016
  pw_as_root sh -c 'cd "$1" && rm -rf var/cache/apt/*.bin var/cache/apt/archives/*.deb \
      var/lib/apt/lists/* var/log/* usr/share/doc/* usr/share/man/* usr/share/info/* \
      usr/share/locale/* \
      && : >etc/resolv.conf && : >etc/hostname' sh "$dir"
  # Debian has no `python` command (python-is-python3 is not in minbase); commands written for
  # python images (`python -c ...`, Conducto's examples) expect one.
  pw_as_root ln -sf python3 "$dir/usr/bin/python"
}

# name image build-fn cmd-json verify-command...
ensure_image() {
  local name=$1 image=$2 fn=$3 cmd=$4 hash t0 t1 old candidate; shift 4
  hash=$(recipe_hash "$fn" "$cmd")
  if up_to_date "$image" "$hash"; then return 0; fi
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null) || true
  t0=$(pw_now_ms)
  mkdir "$WORK/$name"
  "$fn" "$WORK/$name"
  pw_log "$name: rootfs built in $(pw_since "$t0")"
  # Import under a candidate tag and only move $image once it passes, so a
  # broken build never carries the "up to date" label under the real name.
  t1=$(pw_now_ms)
  candidate="${image%:*}:build-$hash"
  import_rootfs "$WORK/$name" "$candidate" "$hash" "$cmd"
  pw_log "$name: imported in $(pw_since "$t1")"
  pw_as_root rm -rf --one-file-system "${WORK:?}/$name"
  t1=$(pw_now_ms)
  if ! docker run --rm "$candidate" "$@" >/dev/null; then
    docker rmi "$candidate" >/dev/null 2>&1 || true
    pw_die "$name: verification failed: docker run --rm $candidate $*"
  fi
  docker tag "$candidate" "$image"
  docker rmi "$candidate" >/dev/null
  pw_log "$name: verified in $(pw_since "$t1"); $image $(docker image inspect -f '{{.Size}}' "$image" |
    awk '{ printf "%.1f MB", $1 / 1e6 }'), total $(pw_since "$t0")"
  # Drop the replaced image so rebuilds don't pile up; this fails harmlessly
  # while containers or derived images still use it.
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    docker rmi "$old" >/dev/null 2>&1 || true
  fi
}

# busybox sh runs applets even without their symlinks, so check those with which.
# shellcheck disable=SC2016
ensure_image busybox pipewright/busybox:latest build_busybox '["/bin/sh"]' \
  sh -c 'for a in sh echo cat gzip sleep head dd true; do which "$a" >/dev/null || exit 1; done
         echo ok | gzip | gzip -d | grep -q ok && head -c 10 /dev/zero | dd of=/dev/null 2>/dev/null'
ensure_image python pipewright/python:latest build_python '["python3"]' \
  sh -c 'python3 -c "import json, inspect, shlex, runpy, resource; print(1)" && python -c "print(1)" &&
         parallel --version >/dev/null && echo x | gzip | gzip -d >/dev/null && ps >/dev/null'
