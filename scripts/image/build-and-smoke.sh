#!/usr/bin/env bash
# The image check of CI (issue 13): build the production image from a fresh clone of HEAD with the
# locally assembled base (scripts/image/base-image.sh, cached), then smoke-test it against the
# host's local stack (`npm run stack:up`): `migrate` on an empty database, `migrate status`,
# `topics apply`, then api and ingress started from the image must answer /ready 200 on their
# METRICS_PORT (and not serve it on PORT), and stop on SIGTERM. Any failure exits non-zero.
# Prints the build time and the image size.
#   bash scripts/image/build-and-smoke.sh            (.ci/run calls it after `npm test`)
# Env: PAYSYNC_PG_PORT (55432), PAYSYNC_KAFKA_PORT (59092), IMAGE_TAG (localhost/paysync:ci).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
log() { echo "[image] $*"; }

apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    log "installing $*"
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq "$@"; else sudo apt-get update -qq && sudo apt-get install -y -qq "$@"; fi
  else
    echo "[image] missing $* and no apt-get to install it" >&2
    exit 1
  fi
}
command -v buildah >/dev/null 2>&1 || apt_install buildah
command -v mmdebstrap >/dev/null 2>&1 || apt_install mmdebstrap
PSQL=/usr/lib/postgresql/15/bin/psql
[ -x "$PSQL" ] || PSQL="$(command -v psql)"

BUILDAH=(buildah --storage-driver vfs)
TAG="${IMAGE_TAG:-localhost/paysync:ci}"
PG_PORT="${PAYSYNC_PG_PORT:-55432}"
KAFKA="127.0.0.1:${PAYSYNC_KAFKA_PORT:-59092}"
RUN_ID="img$(date +%s)$$"
DB="paysync_${RUN_ID}"
PREFIX="${RUN_ID}"
WORK="$(mktemp -d)"
CTRS=()
PIDS=()

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ctr in "${CTRS[@]}"; do "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true; done
  "$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1 || true
  node scripts/image/delete-topics.mjs "$KAFKA" "$PREFIX." >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT

# 1. Base image (cached) and a fresh clone of what is committed.
t0=$(date +%s)
BASE="$(bash scripts/image/base-image.sh)"
t1=$(date +%s)
git clone --quiet --no-hardlinks "$ROOT" "$WORK/src"
REVISION="$(git -C "$WORK/src" rev-parse HEAD)"

# 2. Build.
log "building $TAG from $REVISION on $BASE"
"${BUILDAH[@]}" bud --quiet --isolation chroot --layers=false \
  --build-arg "BASE_IMAGE=$BASE" \
  --build-arg "VERSION=$(node -p "require('./package.json').version")" \
  --build-arg "REVISION=$REVISION" \
  --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -f "$WORK/src/docker/Dockerfile" -t "$TAG" "$WORK/src" >"$WORK/build.log" 2>&1 ||
  { tail -n 60 "$WORK/build.log"; log "build FAILED"; exit 1; }
t2=$(date +%s)
SIZE_BYTES="$("${BUILDAH[@]}" inspect --type image --format '{{.Size}}' "$TAG" 2>/dev/null || echo 0)"
SIZE="$("${BUILDAH[@]}" images --format '{{.Size}}' "$TAG" | head -n 1)"
USER_CFG="$("${BUILDAH[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' "$TAG")"
log "built in $((t2 - t1)) s (base $((t1 - t0)) s); image size $SIZE; user $USER_CFG"
case "$USER_CFG" in 0 | 0:* | root | root:* | "") log "image runs as root"; exit 1 ;; esac

# 3. Smoke test against the local stack, from inside the image (host network).
"$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc "CREATE DATABASE \"$DB\"" >/dev/null
DATABASE_URL="postgresql://postgres@127.0.0.1:${PG_PORT}/${DB}"
ENV_ARGS=(
  --env "DATABASE_URL=$DATABASE_URL" --env "KAFKA_BROKERS=$KAFKA" --env "KAFKA_TOPIC_PREFIX=$PREFIX"
  --env "KAFKA_CREATE_TOPICS=false" --env "HOST=127.0.0.1" --env "LOG_LEVEL=warn"
  --env "ENCRYPTION_KEYS=img:$(head -c 32 /dev/urandom | base64)"
  --env "ADMIN_API_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')0123456789abcdef"
)
in_image() { # in_image NAME [buildah run args...] -- command...
  local ctr
  ctr="$("${BUILDAH[@]}" from --quiet --name "paysync-smoke-$1-$RUN_ID" "$TAG")"
  CTRS+=("$ctr")
  shift
  "${BUILDAH[@]}" run --isolation chroot "${ENV_ARGS[@]}" "$@"
}
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

log "migrate (empty database $DB)"
in_image migrate "paysync-smoke-migrate-$RUN_ID" -- node /app/bin/paysync.mjs migrate
in_image status "paysync-smoke-status-$RUN_ID" -- node /app/bin/paysync.mjs migrate status | tail -n 1
log "topics apply (prefix $PREFIX)"
in_image topics --env TOPICS_REPLICATION_FACTOR=1 --env TOPICS_MIN_INSYNC_REPLICAS=1 \
  "paysync-smoke-topics-$RUN_ID" -- node /app/bin/paysync.mjs topics apply | tail -n 1

declare -A METRICS
for service in api ingress; do
  port="$(free_port)"
  metrics="$(free_port)"
  METRICS[$service]="$metrics:$port"
  in_image "$service" --env "PORT=$port" --env "METRICS_PORT=$metrics" \
    "paysync-smoke-$service-$RUN_ID" -- node /app/bin/paysync.mjs "$service" >"$WORK/$service.log" 2>&1 &
  PIDS+=("$!")
done
for service in api ingress; do
  metrics="${METRICS[$service]%%:*}"
  port="${METRICS[$service]##*:}"
  deadline=$(($(date +%s) + 90))
  until [ "$(curl -s -o "$WORK/$service.ready" -w '%{http_code}' "http://127.0.0.1:$metrics/ready" || true)" = 200 ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      cat "$WORK/$service.log"; cat "$WORK/$service.ready" 2>/dev/null || true
      log "$service never answered /ready 200"; exit 1
    fi
    sleep 1
  done
  public="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready" || true)"
  [ "$public" = 404 ] || { log "$service serves /ready on its public PORT ($public)"; exit 1; }
  log "$service /ready 200 on METRICS_PORT: $(cat "$WORK/$service.ready")"
done

# 4. Stop: SIGTERM to what buildah runs; each service must exit 0 in time.
for i in "${!PIDS[@]}"; do
  pid="${PIDS[$i]}"
  pkill -TERM -P "$pid" 2>/dev/null || kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "a service did not stop on SIGTERM"; exit 1; fi
  wait "$pid" || { log "a service exited non-zero after SIGTERM"; exit 1; }
done
PIDS=()
t3=$(date +%s)
log "smoke passed in $((t3 - t2)) s; total $((t3 - t0)) s; image $TAG $SIZE ($SIZE_BYTES bytes)"
