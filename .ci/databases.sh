#!/usr/bin/env bash
# Throwaway PostgreSQL and MariaDB servers for the test suite and the benchmarks.
#
# Each server runs as its service user (postgres / mysql; yourself when not root), listens on
# 127.0.0.1 only, on a free port, with its data in a temporary directory, and has a database
# `ormar_bot` and a user `ormar_bot` with a random password (allowed to create databases, so the
# tests can give every test a database of its own).
#
# In CI (as root on Debian 12; installs the packages when missing):
#
#     trap 'bash .ci/databases.sh stop' EXIT                 # at exit: stop both, delete their data
#     eval "$(bash .ci/databases.sh start || echo exit 1)"   # export ORMAR_BOT_TEST_*_URL
#
# (`|| echo exit 1` makes a failed start end the caller even without `set -e`: the exit
# status of a command substitution inside `eval` is otherwise lost.)
#
# Commands:
#     install                     install the Debian packages if missing (root), start nothing
#     start [--no-install] [--owner-pid PID] [postgresql] [mariadb]
#                                 start the servers (both by default) unless already running, then
#                                 print `export` lines for every running server; with
#                                 --no-install a server whose binaries are missing is skipped
#                                 with a note on stderr; with --owner-pid the servers are
#                                 stopped (as by `stop`) once process PID has ended
#     env                         print the `export` lines for the running servers
#     halt BACKEND...             stop a server process but keep its data and port
#     kill BACKEND...             crash a server: SIGKILL its processes, keep its data and port
#     restart BACKEND...          halt, then start again on the same data (and port if free)
#     stop                        stop every server and delete the state directory
#
# Everything lives under $ORMAR_BOT_DB_DIR (default: ${TMPDIR:-/tmp}/ormar-bot-databases), so
# several independent sets of servers can run at once. Every command is idempotent. Only the
# `export` lines go to stdout; progress goes to stderr.

set -euo pipefail
# runuser, mariadbd and friends live in sbin, which a non-login shell's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

STATE_DIR=${ORMAR_BOT_DB_DIR:-${TMPDIR:-/tmp}/ormar-bot-databases}
MARKER=.ormar-bot-databases
DB_NAME=ormar_bot
DB_USER=ormar_bot
READY_TIMEOUT=60
BACKENDS=(postgresql mariadb)

say() { printf 'databases.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# --- binaries --------------------------------------------------------------------------------

pg_bindir() {
    # Debian keeps each major version apart; take the newest. Elsewhere, whatever is on PATH.
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [[ -n $dir && -x $dir/initdb ]]; then
        printf '%s\n' "$dir"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

first_command() {
    local name
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return
        fi
        if [[ -x /usr/sbin/$name ]]; then
            printf '/usr/sbin/%s\n' "$name"
            return
        fi
    done
}

mariadbd_bin() { first_command mariadbd mysqld; }
mariadb_install_db_bin() { first_command mariadb-install-db mysql_install_db; }
mariadb_client_bin() { first_command mariadb mysql; }

installed() {
    case $1 in
        postgresql) [[ -n $(pg_bindir) ]] ;;
        mariadb) [[ -n $(mariadbd_bin) && -n $(mariadb_install_db_bin) && -n $(mariadb_client_bin) ]] ;;
    esac
}

install_packages() {
    local packages=() backend
    for backend in "${BACKENDS[@]}"; do
        if ! installed "$backend"; then
            case $backend in
                postgresql) packages+=(postgresql) ;;
                mariadb) packages+=(mariadb-server) ;;
            esac
        fi
    done
    ((${#packages[@]})) || return 0
    ((EUID == 0)) || die "${packages[*]} not installed; run this as root to install them"
    command -v apt-get >/dev/null 2>&1 || die "${packages[*]} not installed and apt-get is missing"

    # The packages' postinst would start system-wide servers on the default ports; these
    # servers are ours alone, so forbid service starts while installing (exit 101 = "not
    # allowed", see /usr/share/doc/init-system-helpers/README.policy-rc.d).
    local policy=/usr/sbin/policy-rc.d created_policy=""
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        created_policy=$policy
    fi
    # shellcheck disable=SC2064 # expand now: the variable is local
    trap "rm -f -- ${created_policy:-/nonexistent}" EXIT
    say "installing ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${packages[@]}" >&2
    [[ -z $created_policy ]] || rm -f -- "$created_policy"
    trap - EXIT
    # On a systemd machine the units were still enabled for the next boot: disable them so
    # they never hold the default ports or run unnoticed.
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
        local unit
        for unit in postgresql mariadb; do
            systemctl disable --now "$unit" >&2 2>/dev/null || true
        done
    fi
    for backend in "${BACKENDS[@]}"; do
        installed "$backend" || die "$backend still missing after installing ${packages[*]}"
    done
}

# --- helpers ---------------------------------------------------------------------------------

service_user() {
    # The servers refuse to run as root; as anybody else they run as that user.
    if ((EUID == 0)); then
        case $1 in
            postgresql) printf 'postgres\n' ;;
            mariadb) printf 'mysql\n' ;;
        esac
    else
        id -un
    fi
}

as_service() {
    local backend=$1
    shift
    if ((EUID == 0)); then
        runuser -u "$(service_user "$backend")" -- "$@"
    else
        "$@"
    fi
}

port_in_use() {
    # Listening sockets from /proc (state 0A = LISTEN): no dependency on ss or netstat.
    local hex file tables=()
    hex=$(printf '%04X' "$1")
    for file in /proc/net/tcp /proc/net/tcp6; do
        [[ -r $file ]] && tables+=("$file")
    done
    awk -v port="$hex" '$4 == "0A" { split($2, a, ":"); if (a[2] == port) found = 1 }
        END { exit !found }' "${tables[@]}"
}

free_port() {
    local port tries
    for ((tries = 0; tries < 200; tries++)); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        port_in_use "$port" || { printf '%s\n' "$port"; return; }
    done
    die "no free TCP port found"
}

ensure_state_dir() {
    if [[ ! -d $STATE_DIR ]]; then
        mkdir -p -- "$STATE_DIR"
        touch -- "$STATE_DIR/$MARKER"
    fi
    [[ -e $STATE_DIR/$MARKER ]] || die "$STATE_DIR exists and was not made by this script"
    # The service users must reach their own subdirectories.
    chmod 755 -- "$STATE_DIR"
    if [[ ! -s $STATE_DIR/data-root ]]; then
        local root=$STATE_DIR
        if ! service_users_reach "$STATE_DIR"; then
            # A parent directory is closed to them (`mktemp -d` makes 0700 directories): keep
            # the servers' files in a directory of their own under /tmp instead.
            root=$(mktemp -d /tmp/ormar-bot-data.XXXXXX)
            chmod 755 -- "$root"
            touch -- "$root/$MARKER"
        fi
        printf '%s\n' "$root" >"$STATE_DIR/data-root"
    fi
    if [[ ! -s $STATE_DIR/password ]]; then
        (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$STATE_DIR/password")
    fi
}

service_users_reach() {
    local user
    ((EUID == 0)) || return 0
    for user in postgres mysql; do
        if id -u "$user" >/dev/null 2>&1 && ! runuser -u "$user" -- test -x "$1"; then
            return 1
        fi
    done
}

data_root() {
    # Where the servers' directories are: the state directory itself, unless the service
    # users cannot reach it.
    if [[ -s $STATE_DIR/data-root ]]; then
        cat -- "$STATE_DIR/data-root"
    else
        printf '%s\n' "$STATE_DIR"
    fi
}

backend_dir() {
    local dir=$(data_root)/$1
    if [[ ! -d $dir ]]; then
        mkdir -p -- "$dir/run"
        if ((EUID == 0)); then
            chown -R "$(service_user "$1"):" -- "$dir"
        fi
        chmod 700 -- "$dir"
    fi
    printf '%s\n' "$dir"
}

password() { cat -- "$STATE_DIR/password"; }

port_of() {
    local file=$(data_root)/$1/port
    [[ -s $file ]] && cat -- "$file"
}

# --- PostgreSQL --------------------------------------------------------------------------------

pg_running() {
    local dir bin
    dir=$(data_root)/postgresql
    [[ -f $dir/data/PG_VERSION ]] || return 1
    bin=$(pg_bindir)
    as_service postgresql "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

pg_psql() {
    local dir
    dir=$(data_root)/postgresql
    as_service postgresql "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/run" \
        -p "$(port_of postgresql)" -U postgres -d postgres "$@"
}

pg_start() {
    local dir bin port attempt
    dir=$(backend_dir postgresql)
    bin=$(pg_bindir)
    if [[ ! -f $dir/data/PG_VERSION ]]; then
        say "initialising PostgreSQL in $dir/data"
        as_service postgresql "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log"
        # fsync=off: these servers hold test data only. Every commit still reaches the OS
        # before it is acknowledged, so killing or restarting the server loses nothing;
        # only an OS crash could.
        cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/run'
max_connections = 300
fsync = off
full_page_writes = off
EOF
    fi
    if ! pg_running; then
        for ((attempt = 0; attempt < 5; attempt++)); do
            port=$(port_of postgresql || true)
            if [[ -z $port ]] || port_in_use "$port"; then
                port=$(free_port)
                printf '%s\n' "$port" >"$dir/port"
            fi
            say "starting PostgreSQL on 127.0.0.1:$port"
            if as_service postgresql "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
                -o "-p $port" -w -t "$READY_TIMEOUT" start >&2; then
                break
            fi
            # Lost a race for the port (or worse): the log says which; try another port.
            tail -n 5 -- "$dir/server.log" >&2 || true
            rm -f -- "$dir/port"
        done
        pg_running || die "PostgreSQL did not start; see $dir/server.log"
    fi
    if [[ ! -e $dir/provisioned ]]; then
        local pw
        pw=$(password)
        pg_psql <<EOF
SELECT 'CREATE ROLE $DB_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER')\gexec
ALTER ROLE $DB_USER LOGIN CREATEDB PASSWORD '$pw';
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
EOF
        touch -- "$dir/provisioned"
    fi
}

pg_halt() {
    local dir
    dir=$(data_root)/postgresql
    if pg_running; then
        say "stopping PostgreSQL"
        as_service postgresql "$(pg_bindir)/pg_ctl" -D "$dir/data" -m fast -w \
            -t "$READY_TIMEOUT" stop >&2
    fi
}

children_of() {
    # Child process ids of $1, from /proc (no dependency on ps).
    local stat line rest ppid
    for stat in /proc/[0-9]*/stat; do
        line=$(cat -- "$stat" 2>/dev/null) || continue
        rest=${line##*) }  # after "pid (command) ": state, ppid, ...
        read -r _ ppid _ <<<"$rest"
        if [[ $ppid == "$1" ]]; then
            line=${line%% *}
            printf '%s\n' "$line"
        fi
    done
}

kill_and_wait() {
    # SIGKILL the given processes and wait until they are gone.
    local pid waited
    kill -KILL "$@" 2>/dev/null || true
    for pid in "$@"; do
        for ((waited = 0; waited < READY_TIMEOUT * 10; waited++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        ! kill -0 "$pid" 2>/dev/null || die "process $pid survived SIGKILL"
    done
}

pg_kill() {
    local dir pid
    dir=$(data_root)/postgresql
    pg_running || return 0
    pid=$(head -n 1 -- "$dir/data/postmaster.pid")
    say "killing PostgreSQL (pid $pid) and its processes"
    # Its backends too: a new server refuses to start while any of them holds the old shared
    # memory.
    local pids
    mapfile -t pids < <(children_of "$pid")
    kill_and_wait "$pid" "${pids[@]}"
}

# --- MariaDB -----------------------------------------------------------------------------------

maria_pid() {
    local file
    file=$(data_root)/mariadb/run/mariadbd.pid
    [[ -s $file ]] && cat -- "$file"
}

maria_running() {
    local pid
    pid=$(maria_pid) || return 1
    kill -0 "$pid" 2>/dev/null
}

maria_sql() {
    # The admin account is named after the user running this script (root@localhost, or the
    # second account mariadb-install-db made for --auth-root-socket-user), authenticated by the
    # unix socket's peer user.
    "$(mariadb_client_bin)" --no-defaults --protocol=socket -S "$(data_root)/mariadb/run/mariadbd.sock" \
        -u "$(id -un)" "$@"
}

maria_start() {
    local dir port attempt waited pid
    dir=$(backend_dir mariadb)
    # A temporary folder of its own: several server sets bootstrapping at once in the shared
    # /tmp were seen to trip over each other's temporary tables.
    if [[ ! -d $dir/tmp ]]; then
        mkdir -- "$dir/tmp"
        if ((EUID == 0)); then
            chown "$(service_user mariadb):" -- "$dir/tmp"
        fi
    fi
    if [[ ! -d $dir/data/mysql ]]; then
        say "initialising MariaDB in $dir/data"
        local user_args=(--auth-root-socket-user="$(id -un)")
        ((EUID == 0)) && user_args+=(--user=mysql)
        as_service mariadb true  # fail early if the service user is missing
        "$(mariadb_install_db_bin)" --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" \
            "${user_args[@]}" \
            --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
            >"$dir/install-db.log" 2>&1 || { cat -- "$dir/install-db.log" >&2; die "mariadb-install-db failed"; }
    fi
    if ! maria_running; then
        for ((attempt = 0; attempt < 5; attempt++)); do
            port=$(port_of mariadb || true)
            if [[ -z $port ]] || port_in_use "$port"; then
                port=$(free_port)
                printf '%s\n' "$port" >"$dir/port"
            fi
            say "starting MariaDB on 127.0.0.1:$port"
            rm -f -- "$dir/run/mariadbd.pid"
            # innodb_flush_log_at_trx_commit=2: commits reach the OS before they are
            # acknowledged (a killed or restarted server loses nothing), without an fsync each.
            # Detached, with no inherited stdio, so that `$(databases.sh start)` returns.
            as_service mariadb setsid "$(mariadbd_bin)" --no-defaults --datadir="$dir/data" \
                --tmpdir="$dir/tmp" --bind-address=127.0.0.1 --port="$port" --socket="$dir/run/mariadbd.sock" \
                --pid-file="$dir/run/mariadbd.pid" --log-error="$dir/server.log" \
                --skip-name-resolve --character-set-server=utf8mb4 \
                --collation-server=utf8mb4_unicode_ci --max-connections=300 \
                --innodb-flush-log-at-trx-commit=2 --innodb-buffer-pool-size=128M \
                </dev/null >>"$dir/server.log" 2>&1 &
            pid=$!
            for ((waited = 0; waited < READY_TIMEOUT * 10; waited++)); do
                if maria_sql -e 'SELECT 1' >/dev/null 2>&1; then
                    break 2
                fi
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            # Lost a race for the port, or did not come up in time: the log says which.
            tail -n 5 -- "$dir/server.log" >&2 || true
            # $pid may be runuser or setsid rather than the server: stop the server by its own
            # pid file, then what was started.
            if maria_running; then
                kill_and_wait "$(maria_pid)"
            fi
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            rm -f -- "$dir/port"
        done
        maria_sql -e 'SELECT 1' >/dev/null 2>&1 || die "MariaDB did not start; see $dir/server.log"
    fi
    if [[ ! -e $dir/provisioned ]]; then
        local pw
        pw=$(password)
        maria_sql <<EOF
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$pw';
ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'%';
CREATE DATABASE IF NOT EXISTS $DB_NAME;
EOF
        touch -- "$dir/provisioned"
    fi
}

maria_halt() {
    local pid waited
    if maria_running; then
        say "stopping MariaDB"
        pid=$(maria_pid)
        kill -TERM "$pid"
        for ((waited = 0; waited < READY_TIMEOUT * 10; waited++)); do
            kill -0 "$pid" 2>/dev/null || return 0
            sleep 0.1
        done
        die "MariaDB (pid $pid) did not stop within ${READY_TIMEOUT}s"
    fi
}

maria_kill() {
    local pid
    maria_running || return 0
    pid=$(maria_pid)
    say "killing MariaDB (pid $pid)"
    kill_and_wait "$pid"
}

# --- commands ----------------------------------------------------------------------------------

print_env() {
    [[ -e $STATE_DIR/$MARKER ]] || return 0
    local pw
    pw=$(password)
    if pg_running; then
        printf "export ORMAR_BOT_TEST_POSTGRESQL_URL='postgresql://%s:%s@127.0.0.1:%s/%s'\n" \
            "$DB_USER" "$pw" "$(port_of postgresql)" "$DB_NAME"
    fi
    if maria_running; then
        printf "export ORMAR_BOT_TEST_MARIADB_URL='mariadb://%s:%s@127.0.0.1:%s/%s'\n" \
            "$DB_USER" "$pw" "$(port_of mariadb)" "$DB_NAME"
    fi
}

select_backends() {
    # Sets SELECTED to the backends named (all when none), refusing unknown names.
    local backend
    (($#)) || set -- "${BACKENDS[@]}"
    SELECTED=()
    for backend in "$@"; do
        case $backend in
            postgresql | mariadb) SELECTED+=("$backend") ;;
            *) die "unknown backend '$backend' (expected: ${BACKENDS[*]})" ;;
        esac
    done
}

cmd_start() {
    local install=1 owner="" backend
    while (($#)); do
        case $1 in
            --no-install) install="" ;;
            --owner-pid)
                owner=${2:?--owner-pid needs a process id}
                shift
                ;;
            *) break ;;
        esac
        shift
    done
    select_backends "$@"
    [[ -z $install ]] || install_packages
    ensure_state_dir
    [[ -z $owner ]] || watch_owner "$owner"
    for backend in "${SELECTED[@]}"; do
        if ! installed "$backend"; then
            say "$backend: server binaries not installed (install them with: .ci/databases.sh install)"
            continue
        fi
        case $backend in
            postgresql) pg_start ;;
            mariadb) maria_start ;;
        esac
    done
    print_env
}

watch_owner() {
    # Servers started for one process (a test session) must not outlive it, even when it is
    # killed before it can stop them: a detached watcher stops them once it is gone.
    local pid_file=$STATE_DIR/watcher.pid
    if [[ -s $pid_file ]] && kill -0 "$(cat -- "$pid_file")" 2>/dev/null; then
        return
    fi
    setsid bash "$0" _watch "$1" </dev/null >/dev/null 2>&1 &
    printf '%s\n' "$!" >"$pid_file"
}

cmd_watch() {
    while kill -0 "$1" 2>/dev/null; do
        sleep 1
    done
    cmd_stop
}

cmd_halt() {
    local backend
    select_backends "$@"
    [[ -e $STATE_DIR/$MARKER ]] || return 0
    for backend in "${SELECTED[@]}"; do
        case $backend in
            postgresql) pg_halt ;;
            mariadb) maria_halt ;;
        esac
    done
}

cmd_kill() {
    local backend
    select_backends "$@"
    [[ -e $STATE_DIR/$MARKER ]] || return 0
    for backend in "${SELECTED[@]}"; do
        case $backend in
            postgresql) pg_kill ;;
            mariadb) maria_kill ;;
        esac
    done
}

cmd_stop() {
    [[ -e $STATE_DIR/$MARKER ]] || return 0
    installed postgresql && pg_halt
    installed mariadb && maria_halt
    local root
    root=$(data_root)
    if [[ $root != "$STATE_DIR" && -e $root/$MARKER ]]; then
        rm -rf -- "$root"
    fi
    rm -rf -- "$STATE_DIR"
}

main() {
    local command=${1:-}
    (($#)) && shift
    case $command in
        install) install_packages ;;
        start) cmd_start "$@" ;;
        env) print_env ;;
        halt) cmd_halt "$@" ;;
        kill) cmd_kill "$@" ;;
        restart) cmd_halt "$@" && cmd_start --no-install "$@" ;;
        stop) cmd_stop ;;
        _watch) cmd_watch "$@" ;;
        *)
            sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
            exit 2
            ;;
    esac
}

main "$@"
