#!/usr/bin/env bash
# The image check of CI (issue 13): build the production image from a fresh clone of HEAD with the
# locally assembled base (scripts/image/base-image.sh, cached), then smoke-test it against the
# host's local stack (`npm run stack:up`): `migrate` on an empty database (as the owner, granting
# the services' login role paysync_app), `migrate status`,
# `topics apply`, then api and ingress started from the image must answer /ready 200 on their
# METRICS_PORT (and 404 on PORT), and exit 0 on SIGTERM. Any failure exits non-zero. Prints the
# build time and the image size.
#   bash scripts/image/build-and-smoke.sh            (.ci/run calls it after `npm test`)
# Env: PAYSYNC_PG_PORT (55432), PAYSYNC_KAFKA_PORT (59092), IMAGE_TAG (localhost/paysync:ci),
#      SMOKE_ONLY=1 (smoke-test IMAGE_TAG as it is, no build), SMOKE_SERVICES ("api ingress").
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
# Each check that passed counts once in the test ledger (scripts/test-totals.mjs); a failure counts one.
CHECKS=0
passed() { CHECKS=$((CHECKS + 1)); }

# The process a `buildah run` (pid $1) runs: the deepest of its chain of descendants
# (buildah -> buildah-chroot-runtime -> buildah-chroot-exec -> node).
node_pid_of() {
  local pid="$1" child found=""
  for _ in 1 2 3 4 5 6; do
    child="$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -d ' ' | head -n 1)"
    [ -n "$child" ] || break
    pid="$child"
    found="$child"
  done
  [ -n "$found" ] && echo "$found"
}

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do
    node_pid="$(node_pid_of "$pid" || true)"
    [ -n "$node_pid" ] && kill -KILL "$node_pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
  done
  for ctr in "${CTRS[@]}"; do "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true; done
  "$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1 || true
  node scripts/image/delete-topics.mjs "$KAFKA" "$PREFIX." >/dev/null 2>&1 || true
  rm -rf "$WORK"
  node scripts/test-totals.mjs add "image build + smoke checks" "$CHECKS" "$([ "$status" -eq 0 ] && echo 0 || echo 1)" || true
  exit "$status"
}
trap cleanup EXIT

t0=$(date +%s)
if [ "${SMOKE_ONLY:-}" != 1 ]; then
  # 1. Base image (cached) and a fresh clone of what is committed.
  BASE="$(bash scripts/image/base-image.sh)"
  t1=$(date +%s)
  git clone --quiet --no-hardlinks "$ROOT" "$WORK/src"
  REVISION="$(git -C "$WORK/src" rev-parse HEAD)"

  # 2. Build. The host's CA bundle goes in as a build secret, so npm in the build stage trusts what
  # the host trusts (e.g. a TLS-intercepting proxy); a secret is never stored in the image.
  log "building $TAG from $REVISION on $BASE"
  CA_BUNDLE="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
  SECRET_ARGS=()
  [ -s "$CA_BUNDLE" ] && SECRET_ARGS=(--secret "id=ca-certificates,src=$CA_BUNDLE")
  "${BUILDAH[@]}" bud --quiet --isolation chroot --layers=false "${SECRET_ARGS[@]}" \
    --build-arg "BASE_IMAGE=$BASE" \
    --build-arg "VERSION=$(node -p "require('./package.json').version")" \
    --build-arg "REVISION=$REVISION" \
    --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -f "$WORK/src/docker/Dockerfile" -t "$TAG" "$WORK/src" >"$WORK/build.log" 2>&1 ||
    { tail -n 60 "$WORK/build.log"; log "build FAILED"; exit 1; }
  passed # the image builds from a fresh clone
  t2=$(date +%s)
  log "built in $((t2 - t1)) s (base image $((t1 - t0)) s)"
  # The previous build under the same tag is now untagged; with vfs each image is a full copy.
  "${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true
fi
t2=$(date +%s)
SIZE="$("${BUILDAH[@]}" images --format '{{.Size}}' "$TAG" | head -n 1)"
USER_CFG="$("${BUILDAH[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' "$TAG")"
log "image $TAG: size $SIZE, user $USER_CFG"
case "$USER_CFG" in 0 | 0:* | root | root:* | "") log "the image runs as root"; exit 1 ;; esac
passed # non-root user

# 3. Smoke test against the local stack, from inside the image (buildah run: host network).
"$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc "CREATE DATABASE \"$DB\"" >/dev/null
# Row-level security (issue 15 item 5): the admin commands run as the owner (`postgres`) and grant
# paysync_runtime to the services' login role (created by stack:up); the services connect as it.
APP_ROLE="${PAYSYNC_PG_APP_ROLE:-paysync_app}"
APP_PASSWORD="${PAYSYNC_PG_APP_PASSWORD:-paysync-local-dev}"
OWNER_ARGS=(
  --env "DATABASE_URL=postgresql://postgres@127.0.0.1:${PG_PORT}/${DB}"
  --env "DATABASE_APP_ROLE=$APP_ROLE"
)
APP_ARGS=(--env "DATABASE_URL=postgresql://${APP_ROLE}:${APP_PASSWORD}@127.0.0.1:${PG_PORT}/${DB}")
ENV_ARGS=(
  --env "KAFKA_BROKERS=$KAFKA" --env "KAFKA_TOPIC_PREFIX=$PREFIX" --env "KAFKA_CREATE_TOPICS=false"
  --env "HOST=127.0.0.1" --env "LOG_LEVEL=info"
  --env "ENCRYPTION_KEYS=img:$(head -c 32 /dev/urandom | base64)"
  --env "ADMIN_API_TOKEN=img-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  --env "TOPICS_REPLICATION_FACTOR=1" --env "TOPICS_MIN_INSYNC_REPLICAS=1"
)
# One working container for every step (with vfs each container is a full copy of the image).
CTR="$("${BUILDAH[@]}" from --quiet --name "paysync-smoke-$RUN_ID" "$TAG")"
CTRS+=("$CTR")
run_in_image() { # run_in_image NAME [--env ...] -- command...
  local name="$1"
  shift
  "${BUILDAH[@]}" run --isolation chroot "${ENV_ARGS[@]}" "${OWNER_ARGS[@]}" "$CTR" "$@" >"$WORK/$name.log" 2>&1 ||
    { cat "$WORK/$name.log"; log "$name FAILED"; exit 1; }
  grep -E '^\[(migrate|migrate status|topics apply)\]' "$WORK/$name.log" | sed 's/^/[image]   /'
  passed # the admin command succeeded
}
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

log "migrate on the empty database $DB"
run_in_image migrate -- node /app/bin/paysync.mjs migrate
run_in_image status -- node /app/bin/paysync.mjs migrate status
member="$("$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$DB" -qAtc "SELECT pg_has_role('$APP_ROLE', 'paysync_runtime', 'MEMBER')")"
[ "$member" = t ] || { log "migrate did not grant paysync_runtime to $APP_ROLE"; exit 1; }
passed # the services' login role joined paysync_runtime
log "topics apply (prefix $PREFIX)"
run_in_image topics -- node /app/bin/paysync.mjs topics apply

read -r -a SERVICES <<<"${SMOKE_SERVICES:-api ingress}"
declare -A PORT METRICS PID
for service in "${SERVICES[@]}"; do
  PORT[$service]="$(free_port)"
  METRICS[$service]="$(free_port)"
  "${BUILDAH[@]}" run --isolation chroot "${ENV_ARGS[@]}" "${APP_ARGS[@]}" \
    --env "PORT=${PORT[$service]}" --env "METRICS_PORT=${METRICS[$service]}" \
    "$CTR" -- node /app/bin/paysync.mjs "$service" >"$WORK/$service.log" 2>&1 &
  PID[$service]=$!
  PIDS+=("$!")
done
for service in "${SERVICES[@]}"; do
  deadline=$(($(date +%s) + 90))
  until [ "$(curl -s -o "$WORK/$service.ready" -w '%{http_code}' "http://127.0.0.1:${METRICS[$service]}/ready" || true)" = 200 ]; do
    if [ "$(date +%s)" -ge "$deadline" ] || ! kill -0 "${PID[$service]}" 2>/dev/null; then
      tail -n 40 "$WORK/$service.log"
      log "$service never answered /ready 200"
      exit 1
    fi
    sleep 1
  done
  public="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[$service]}/ready" || true)"
  [ "$public" = 404 ] || { log "$service answers /ready on its public PORT ($public)"; exit 1; }
  passed # /ready 200 on the metrics port, 404 on the public one
  log "$service: /ready 200 on METRICS_PORT $(cat "$WORK/$service.ready"), 404 on PORT"
done

# 4. Stop: SIGTERM to each service process; it must drain and exit 0.
for service in "${SERVICES[@]}"; do
  node_pid="$(node_pid_of "${PID[$service]}")" || { log "no node process for $service"; exit 1; }
  kill -TERM "$node_pid"
  if ! wait "${PID[$service]}"; then
    tail -n 40 "$WORK/$service.log"
    log "$service did not exit 0 after SIGTERM"
    exit 1
  fi
  grep -q '"msg":"Stopped"' "$WORK/$service.log" || { log "$service did not log Stopped"; exit 1; }
  passed # drains and exits 0 on SIGTERM
  log "$service stopped cleanly on SIGTERM"
done
PIDS=()
t3=$(date +%s)
log "smoke test passed in $((t3 - t2)) s (whole image step $((t3 - t0)) s); image $TAG $SIZE"
