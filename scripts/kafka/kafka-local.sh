#!/usr/bin/env bash
# kafka-local.sh — a real single-node Apache Kafka (KRaft, broker+controller)
# for tests, run straight from Maven Central jars (no Docker, no tarball).
#
#   kafka-local.sh start | stop | status | restart
#   kafka-local.sh cli <main-class> [args...]   # run a Kafka CLI class on the broker's classpath
#
# See README.md beside this file for the environment overrides.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/pom.xml"

KAFKA_HOST="127.0.0.1"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/ideobus-kafka"
KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-$CACHE_ROOT/run-$KAFKA_PORT}"

PID_FILE="$KAFKA_STATE_DIR/kafka.pid"
DATA_FILE="$KAFKA_STATE_DIR/data-dir"      # holds the path of the mktemp -d data folder
LOG_FILE="$KAFKA_STATE_DIR/kafka.log"
PROPS_FILE="$KAFKA_STATE_DIR/server.properties"
CLIENT_PROPS="$KAFKA_STATE_DIR/client.properties"
LOG4J_BROKER="$KAFKA_STATE_DIR/log4j2-broker.properties"
LOG4J_CLI="$KAFKA_STATE_DIR/log4j2-cli.properties"

say() { printf 'kafka-local: %s\n' "$*"; }
die() { printf 'kafka-local: ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools ----
JAVA=""
find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"
  else
    die "java not found (need Java 17+ on PATH or JAVA_HOME); e.g. apt-get install -y openjdk-17-jre-headless"
  fi
  local v major
  v="$("$JAVA" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${v%%.*}"
  [[ "$major" == "1" ]] && major="$(echo "$v" | cut -d. -f2)"
  if ! [[ "$major" =~ ^[0-9]+$ ]] || (( major < 17 )); then
    die "Kafka 4.x needs Java 17+, but $JAVA reports version '${v:-unknown}'"
  fi
}

require_mvn() {
  command -v mvn >/dev/null 2>&1 ||
    die "mvn (Maven) not found on PATH; it is needed to fetch the Kafka jars from Maven Central (e.g. apt-get install -y maven)"
}

kafka_version_from_pom() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1
}

pom_hash() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$POM" | cut -c1-12
  else shasum -a 256 "$POM" | cut -c1-12; fi
}

# ------------------------------------------------------------- the jars ----
KAFKA_VERSION="$(kafka_version_from_pom)"
[[ -n "$KAFKA_VERSION" ]] || die "could not read <kafka.version> from $POM"
# The lib dir is keyed by a hash of pom.xml, so editing the pom re-resolves.
KAFKA_LIB_DIR="${KAFKA_LIB_DIR:-$CACHE_ROOT/libs-$KAFKA_VERSION-$(pom_hash)}"
MANIFEST="$KAFKA_LIB_DIR/.complete"

libs_complete() {
  [[ -s "$MANIFEST" ]] || return 1
  local f
  while IFS= read -r f; do
    [[ -s "$KAFKA_LIB_DIR/$f" ]] || return 1
  done <"$MANIFEST"
  [[ -s "$KAFKA_LIB_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]]
}

resolve_libs() {
  if libs_complete; then return 0; fi
  require_mvn
  say "resolving Apache Kafka $KAFKA_VERSION jars via Maven into $KAFKA_LIB_DIR ..."
  local parent tmp mvnlog
  parent="$(dirname "$KAFKA_LIB_DIR")"
  mkdir -p "$parent"
  tmp="$(mktemp -d "$parent/.libs-tmp.XXXXXX")"
  mvnlog="$tmp.mvn.log"
  local -a mvn_args=(-B -q -f "$POM" dependency:copy-dependencies
    -DoutputDirectory="$tmp" -DincludeScope=runtime -DoverWriteReleases=true)
  # Offline first (everything may already be in ~/.m2), then online.
  if ! mvn -o "${mvn_args[@]}" >"$mvnlog" 2>&1; then
    if ! mvn "${mvn_args[@]}" >"$mvnlog" 2>&1; then
      tail -n 40 "$mvnlog" >&2 || true
      rm -rf "$tmp" "$mvnlog"
      die "mvn dependency:copy-dependencies failed (see output above)"
    fi
  fi
  rm -f "$mvnlog"
  (cd "$tmp" && ls -1 -- *.jar) >"$tmp/.complete"
  rm -rf "$KAFKA_LIB_DIR"
  mv "$tmp" "$KAFKA_LIB_DIR"
  libs_complete || die "jar set in $KAFKA_LIB_DIR is incomplete after resolving"
}

classpath() {
  local cp="" f
  for f in "$KAFKA_LIB_DIR"/*.jar; do cp="${cp:+$cp:}$f"; done
  printf '%s' "$cp"
}

# ------------------------------------------------------------- helpers -----
read_pid() { if [[ -s "$PID_FILE" ]]; then tr -dc '0-9' <"$PID_FILE"; fi; }

# True if the pid file names a live process that is our broker.
is_running() {
  local pid
  pid="$(read_pid)"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "kafka.Kafka $PROPS_FILE" || return 1
  fi
  return 0
}

port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

running_version() {
  local v=""
  [[ -f "$LOG_FILE" ]] && v="$(sed -n 's/.*Kafka version: \([^ ]*\).*/\1/p' "$LOG_FILE" | tail -n1)"
  printf '%s' "${v:-$KAFKA_VERSION}"
}

new_cluster_id() {
  # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding (22 chars).
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* && ${#id} -eq 22 ]] && break
  done
  printf '%s' "$id"
}

run_cli() { # run_cli <main-class> [args...]
  local -a t=()
  command -v timeout >/dev/null 2>&1 && t=(timeout 60)
  ${t[@]+"${t[@]}"} "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_CLI" -cp "$(classpath)" "$@"
}

write_configs() {
  local data="$1"
  cat >"$PROPS_FILE" <<EOF
# generated by kafka-local.sh — single-node KRaft broker+controller for tests
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/kraft-logs
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
EOF
  if [[ -n "${KAFKA_EXTRA_PROPERTIES:-}" ]]; then
    printf '# KAFKA_EXTRA_PROPERTIES\n%s\n' "$KAFKA_EXTRA_PROPERTIES" >>"$PROPS_FILE"
  fi

  cat >"$CLIENT_PROPS" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF

  cat >"$LOG4J_BROKER" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
EOF
  write_cli_log4j
}

write_cli_log4j() {
  cat >"$LOG4J_CLI" <<'EOF'
status = error
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = ERR
EOF
}

cleanup_data() {
  if [[ -s "$DATA_FILE" ]]; then
    local d
    d="$(cat "$DATA_FILE")"
    # Only remove what we created: a mktemp dir with our prefix.
    if [[ -d "$d" && "$(basename "$d")" == ideobus-kafka-data.* ]]; then
      rm -rf -- "$d"
    fi
  fi
  rm -f "$DATA_FILE" "$PID_FILE"
}

fail_start() {
  printf 'kafka-local: ERROR: %s\n' "$1" >&2
  if [[ -f "$LOG_FILE" ]]; then
    printf -- '--- last 60 lines of %s ---\n' "$LOG_FILE" >&2
    tail -n 60 "$LOG_FILE" >&2 || true
    printf -- '--- end of log ---\n' >&2
  fi
  stop_broker quiet || true
  exit 1
}

# ------------------------------------------------------------- commands ----
start_broker() {
  find_java
  require_mvn
  mkdir -p "$KAFKA_STATE_DIR"

  if is_running; then
    say "already running (pid $(read_pid)): Apache Kafka $(running_version) on $KAFKA_HOST:$KAFKA_PORT"
    return 0
  fi
  # Stale state from a crashed run: clean it up.
  cleanup_data

  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$KAFKA_HOST" "$p"; then
      die "port $KAFKA_HOST:$p is already in use by another process (not this script's broker); set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done
  [[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

  resolve_libs

  local data cid
  data="$(mktemp -d "${TMPDIR:-/tmp}/ideobus-kafka-data.XXXXXX")"
  printf '%s\n' "$data" >"$DATA_FILE"
  write_configs "$data"
  : >"$LOG_FILE"

  cid="$(new_cluster_id)"
  if ! "$JAVA" -Xmx256m -Dlog4j2.configurationFile="$LOG4J_CLI" -cp "$(classpath)" \
      kafka.tools.StorageTool format --cluster-id "$cid" --config "$PROPS_FILE" --standalone \
      >>"$LOG_FILE" 2>&1; then
    fail_start "formatting KRaft storage failed"
  fi

  local -a jvm=("-Xmx$KAFKA_HEAP" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J_BROKER")
  # shellcheck disable=SC2206
  [[ -n "${KAFKA_JVM_OPTS:-}" ]] && jvm+=($KAFKA_JVM_OPTS)

  local -a detach=()
  command -v setsid >/dev/null 2>&1 && detach=(setsid)
  # The inner shell writes its own pid then execs java, so the pid file names the JVM.
  # 9>&- : the broker must not inherit the lock fd (it would hold the lock forever).
  # shellcheck disable=SC2016 # $$ and $1 are for the inner shell
  ${detach[@]+"${detach[@]}"} nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    "$JAVA" "${jvm[@]}" -cp "$(classpath)" kafka.Kafka "$PROPS_FILE" \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &

  local t0=$SECONDS pid=""
  while (( SECONDS - t0 < KAFKA_START_TIMEOUT )); do
    pid="$(read_pid)"
    if [[ -n "$pid" ]]; then
      kill -0 "$pid" 2>/dev/null || fail_start "broker process exited during startup"
      if port_open "$KAFKA_HOST" "$KAFKA_PORT" &&
         run_cli org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" \
           --command-config "$CLIENT_PROPS" --list >/dev/null 2>>"$LOG_FILE.cli"; then
        rm -f "$LOG_FILE.cli"
        say "Apache Kafka $(running_version) up on $KAFKA_HOST:$KAFKA_PORT (pid $pid, controller $KAFKA_HOST:$KAFKA_CONTROLLER_PORT, ${SECONDS}s)"
        return 0
      fi
    fi
    sleep 0.5
  done
  [[ -f "$LOG_FILE.cli" ]] && cat "$LOG_FILE.cli" >>"$LOG_FILE"
  fail_start "broker did not answer metadata on $KAFKA_HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s"
}

stop_broker() {
  local quiet="${1:-}" pid
  pid="$(read_pid)"
  if [[ -n "$pid" ]] && is_running; then
    kill -TERM "$pid" 2>/dev/null || true
    local t0=$SECONDS
    while kill -0 "$pid" 2>/dev/null && (( SECONDS - t0 < KAFKA_STOP_TIMEOUT )); do
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      [[ -n "$quiet" ]] || say "broker (pid $pid) ignored TERM for ${KAFKA_STOP_TIMEOUT}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    cleanup_data
    [[ -n "$quiet" ]] || say "stopped (pid $pid); data removed"
  else
    cleanup_data
    [[ -n "$quiet" ]] || say "not running"
  fi
}

status_broker() {
  if is_running; then
    say "running (pid $(read_pid)): Apache Kafka $(running_version) on $KAFKA_HOST:$KAFKA_PORT, state $KAFKA_STATE_DIR"
    return 0
  fi
  say "not running (state dir $KAFKA_STATE_DIR)"
  return 1
}

with_lock() {
  mkdir -p "$KAFKA_STATE_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$KAFKA_STATE_DIR/.lock"
    flock -w 180 9 || die "could not lock $KAFKA_STATE_DIR/.lock"
  fi
  "$@"
}

usage() {
  cat >&2 <<EOF
usage: $(basename "$0") start|stop|status|restart
       $(basename "$0") cli <main-class> [args...]   e.g. cli org.apache.kafka.tools.TopicCommand --bootstrap-server $KAFKA_HOST:$KAFKA_PORT --list
EOF
  exit 2
}

cmd="${1:-}"
case "$cmd" in
  start) with_lock start_broker ;;
  stop) with_lock stop_broker ;;
  restart) with_lock stop_broker; with_lock start_broker ;;
  status) status_broker ;;
  cli)
    shift
    [[ $# -ge 1 ]] || usage
    find_java
    resolve_libs
    mkdir -p "$KAFKA_STATE_DIR"
    [[ -f "$LOG4J_CLI" ]] || write_cli_log4j
    run_cli "$@"
    ;;
  *) usage ;;
esac
