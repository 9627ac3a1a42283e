#!/usr/bin/env bash
# fresh-debian.sh: does a new user's `make test`, then `make run`, work on a
# brand-new minimal Debian 12?
#
# Builds a Debian 12 (bookworm) root with `debootstrap --variant=minbase` plus
# python3, python3-venv, python3-pip, git, make, ca-certificates and curl
# (nothing else), clones this checkout's committed HEAD into it, runs
# `make test` there (CI=true), then `make run` on a free port until /healthz
# answers, and stops the server.  Whatever else the tests need (Chromium, its
# libraries, Node, Redis...) must come from the project's own Makefile and
# pyproject.toml: that is what this checks.
#
# Root only (debootstrap, chroot, mounts); installs debootstrap from apt when
# it is missing.  It is not part of `make test` or CI: a run downloads a few
# hundred MB and takes a quarter of an hour or more.
#
# Usage: tools/fresh-debian.sh [options]
#   --root DIR     build the root in DIR and keep it; if DIR already holds a
#                  root made by this script, reuse it (skips debootstrap; the
#                  clone is made anew, but what earlier runs installed, such
#                  as Chromium, stays: only a new root checks a new user's run)
#   --keep         keep the root (a new temporary directory) after the run
#   --no-cache     use no download caches (by default .debs and pip wheels
#                  are cached under $CACHE, default /var/cache/hinting-lab-fresh-debian;
#                  a cache holds downloads only, never an installed file)
#   --mirror URL   Debian mirror (default: the one this machine's apt uses)
#   --repo DIR     the checkout to clone (default: the one holding this script)
#   --shell        after the run, open a shell inside the root
#   -h, --help     this text
set -euo pipefail
# The whole script is one block: bash reads it all before running any of it,
# so editing the file during a (long) run cannot change what that run does.
{

die() { echo "fresh-debian: $*" >&2; exit 1; }
say() { printf '\n== fresh-debian: %s (%s)\n' "$*" "$(date +%T)"; }

ROOT_DIR=""
KEEP=0
CACHE_ON=1
MIRROR=""
REPO=""
SHELL_AFTER=0
CACHE=${CACHE:-/var/cache/hinting-lab-fresh-debian}
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT_DIR=${2:?--root needs a directory}; KEEP=1; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-cache) CACHE_ON=0; shift ;;
    --mirror) MIRROR=${2:?--mirror needs a URL}; shift 2 ;;
    --repo) REPO=${2:?--repo needs a directory}; shift 2 ;;
    --shell) SHELL_AFTER=1; KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts)"
REPO=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}
git -C "$REPO" rev-parse --verify -q HEAD >/dev/null || die "$REPO is not a git checkout with a commit"
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
  echo "fresh-debian: note: $REPO has uncommitted changes; only the committed HEAD is tested" >&2
fi

# The mirror this machine's apt uses for bookworm (deb822 or one-line sources).
if [ -z "$MIRROR" ]; then
  MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
MIRROR=${MIRROR%/}
SECURITY=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -oE 'https?://[^ ]+/debian-security/?( |$)' | head -n1 | tr -d ' ' || true)
SECURITY=${SECURITY%/}

if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

if [ -z "$ROOT_DIR" ]; then
  ROOT_DIR=$(mktemp -d /var/tmp/hinting-lab-debian.XXXXXX)
  FRESH_TMP=1
else
  FRESH_TMP=0
  mkdir -p "$ROOT_DIR"
fi
ROOT_DIR=$(cd "$ROOT_DIR" && pwd)
[ "$ROOT_DIR" != / ] || die "refusing to use / as the root"
MARK="$ROOT_DIR/.hinting-lab-fresh-debian"
SERVER_PID=""
MOUNTS=()

cleanup() {
  local rc=$?
  set +e
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM -- "-$SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null
  fi
  # Anything still running inside the root (a test's stray child) holds the
  # mounts: end those processes, found by their root directory.
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT_DIR" ] && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null \
      || echo "fresh-debian: could not unmount ${MOUNTS[i]}" >&2
  done
  if [ "$KEEP" = 0 ] && [ "$FRESH_TMP" = 1 ]; then
    # Only remove the root when nothing is mounted under it any more.
    if ! grep -q " $ROOT_DIR/" /proc/mounts; then rm -rf --one-file-system "$ROOT_DIR"; fi
  elif [ -d "$ROOT_DIR" ]; then
    echo "fresh-debian: the root is kept in $ROOT_DIR (reuse it with --root $ROOT_DIR)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mnt() {  # mnt TARGET MOUNT-ARGS...: mount and remember it for the cleanup
  local target=$1; shift
  mkdir -p "$target"
  mount "$@" "$target"
  MOUNTS+=("$target")
}

START=$(date +%s)

PACKAGES=python3,python3-venv,python3-pip,git,make,ca-certificates,curl
if [ -f "$MARK" ]; then
  say "reusing the root in $ROOT_DIR (made $(cat "$MARK"))"
else
  [ -z "$(ls -A "$ROOT_DIR")" ] || die "$ROOT_DIR is not empty and was not made by this script"
  say "debootstrap --variant=minbase bookworm into $ROOT_DIR from $MIRROR"
  DEBOOTSTRAP_ARGS=(--variant=minbase "--include=$PACKAGES")
  if [ "$CACHE_ON" = 1 ]; then
    mkdir -p "$CACHE/debootstrap"
    DEBOOTSTRAP_ARGS+=("--cache-dir=$CACHE/debootstrap")
  fi
  debootstrap "${DEBOOTSTRAP_ARGS[@]}" bookworm "$ROOT_DIR" "$MIRROR" >"$ROOT_DIR.debootstrap.log" 2>&1 \
    || { tail -n 30 "$ROOT_DIR.debootstrap.log" >&2; die "debootstrap failed (log: $ROOT_DIR.debootstrap.log)"; }
  rm -f "$ROOT_DIR.debootstrap.log"
  # The sources a Debian 12 installation has: the release, its updates, security.
  {
    echo "deb $MIRROR bookworm main"
    echo "deb $MIRROR bookworm-updates main"
    [ -n "$SECURITY" ] && echo "deb $SECURITY bookworm-security main"
  } >"$ROOT_DIR/etc/apt/sources.list"
  date -u +%FT%TZ >"$MARK"
fi

# This machine's network settings: its resolver and the certificate
# authorities it added locally (a TLS-inspecting proxy's, for instance);
# without them a new install on this network could not reach the registries.
cp -L /etc/resolv.conf "$ROOT_DIR/etc/resolv.conf"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$ROOT_DIR/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT_DIR/usr/local/share/ca-certificates/"
  chroot "$ROOT_DIR" update-ca-certificates >/dev/null 2>&1
fi

mnt "$ROOT_DIR/proc" -t proc proc
mnt "$ROOT_DIR/sys" -t sysfs sysfs
mnt "$ROOT_DIR/dev" --bind /dev
mount --make-rslave "$ROOT_DIR/dev"
mnt "$ROOT_DIR/dev/pts" --bind /dev/pts
mnt "$ROOT_DIR/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev shm
if [ "$CACHE_ON" = 1 ]; then
  mkdir -p "$CACHE/apt" "$CACHE/pip"
  mnt "$ROOT_DIR/var/cache/apt/archives" --bind "$CACHE/apt"
  mnt "$ROOT_DIR/root/.cache/pip" --bind "$CACHE/pip"
fi

# In the root, as a new user would run it: a clean environment, CI=true.
in_root() {
  chroot "$ROOT_DIR" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI=true \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

say "cloning $REPO at $(git -C "$REPO" rev-parse --short HEAD)"
rm -rf "$ROOT_DIR/root/hinting-lab"
git clone -q --no-hardlinks "$REPO" "$ROOT_DIR/root/hinting-lab"
in_root python3 --version

say "make test"
TEST_START=$(date +%s)
TEST_RC=0
in_root bash -c 'cd /root/hinting-lab && make test' || TEST_RC=$?
TEST_SECS=$(( $(date +%s) - TEST_START ))
if [ "$TEST_RC" != 0 ]; then
  say "make test FAILED (exit $TEST_RC) after ${TEST_SECS}s"
  [ "$SHELL_AFTER" = 1 ] && in_root bash -c 'cd /root/hinting-lab && exec bash -i'
  exit 1
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "make run PORT=$PORT"
setsid chroot "$ROOT_DIR" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c "cd /root/hinting-lab && exec make run PORT=$PORT" >"$ROOT_DIR/root/make-run.log" 2>&1 &
SERVER_PID=$!
HEALTHY=0
for _ in $(seq 300); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then HEALTHY=1; break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.2
done
if [ "$HEALTHY" != 1 ]; then
  tail -n 30 "$ROOT_DIR/root/make-run.log" >&2
  say "make run FAILED: /healthz never answered"
  exit 1
fi
echo "/healthz: $(curl -fsS "http://127.0.0.1:$PORT/healthz")"
INDEX=$(curl -fsS "http://127.0.0.1:$PORT/" || true)
[[ $INDEX == *"<html"* ]] || { say "make run FAILED: / did not serve the page"; exit 1; }
kill -TERM -- "-$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

[ "$SHELL_AFTER" = 1 ] && in_root bash -c 'cd /root/hinting-lab && exec bash -i'
say "PASSED: make test (${TEST_SECS}s) and make run on a new Debian 12 root, $(( $(date +%s) - START ))s in all"
exit 0
}
