#!/usr/bin/env bash
# The database servers of the PHP storage tests: a PostgreSQL and a MariaDB of their own, each
# with its data directory under DIR, reachable only through a unix socket in DIR (no TCP port is
# opened), for the php test stage (scripts/test.sh), which starts them and stops them on exit.
#
#   scripts/databases.sh start DIR   initialise and start both, create the test role and database
#                                    `talk` (password login over the socket), write DIR/env
#   scripts/databases.sh stop DIR    stop both (PostgreSQL: fast shutdown; MariaDB: SIGTERM) and
#                                    remove DIR; safe to call twice, and after a failed start
#
# DIR/env exports, for php/tests/Support/TalkDatabase.php:
#   TCR_PGSQL_DSN=pgsql:host=DIR/pg;port=PORT;dbname=talk   TCR_PGSQL_USER  TCR_PGSQL_PASSWORD
#   TCR_MYSQL_DSN=mysql:unix_socket=DIR/my/mariadb.sock;dbname=talk   TCR_MYSQL_USER  TCR_MYSQL_PASSWORD
#
# Run as root (CI), the servers run as the Debian packages' `postgres` and `mysql` users, which
# then own DIR/pg and DIR/my. DIR must be short enough for a socket path (about 90 bytes).
# Environment: TCR_PGSQL_PORT (default 55432) only names PostgreSQL's socket file
# (DIR/pg/.s.PGSQL.PORT); TCR_DB_WAIT (default 60) bounds each wait, in seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MARKER=.tcr-databases # written by start: stop removes only a directory that holds it
PG_PORT=${TCR_PGSQL_PORT:-55432}
WAIT=${TCR_DB_WAIT:-60}
DB_NAME=talk
DB_USER=talk
DB_PASSWORD=talk-test-password
PG_ADMIN=tcr_admin

me=$(id -un)
root=0
[[ $(id -u) -eq 0 ]] && root=1

# run_as USER COMMAND...: as USER when we are root, else as ourselves.
run_as() {
	local user=$1
	shift
	if ((root)) && [[ "$user" != root ]]; then
		runuser -u "$user" -- "$@"
	else
		"$@"
	fi
}

# The system user a server runs as: the package's user when root, else ourselves.
server_user() {
	if ((root)) && id "$1" >/dev/null 2>&1; then printf '%s\n' "$1"; else printf '%s\n' "$me"; fi
}

# Is process PID running? A zombie (exited, not yet reaped by its new parent) is not.
alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n "$state" && "$state" != Z && "$state" != X ]]
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

# ---- PostgreSQL ---------------------------------------------------------------------------------

pg_start() {
	local dir=$1 bin user data log
	bin=$(pg_bindir) || die "databases: no PostgreSQL server (run ./build.sh setup db)"
	user=$(server_user postgres)
	data="$dir/pg/data"
	log="$dir/pg/postgres.log"
	mkdir -p "$dir/pg"
	chmod 755 "$dir/pg"
	printf '%s\n' "$DB_PASSWORD" >"$dir/pg/admin-password"
	((root)) && chown -R "$user" "$dir/pg"
	# --no-sync and the settings below trade durability for speed: the data is thrown away.
	run_as "$user" "$bin/initdb" --pgdata="$data" --username="$PG_ADMIN" --pwfile="$dir/pg/admin-password" \
		--auth=scram-sha-256 --encoding=UTF8 --locale=C --no-sync --no-instructions >"$dir/pg/initdb.log" 2>&1 \
		|| { cat "$dir/pg/initdb.log" >&2; die "databases: initdb failed"; }
	rm -f "$dir/pg/admin-password"
	cat >>"$data/postgresql.conf" <<-EOF
		# scripts/databases.sh: a unix socket only, in the run's own directory
		listen_addresses = ''
		port = $PG_PORT
		unix_socket_directories = '$dir/pg'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 40
		shared_buffers = 32MB
		timezone = 'UTC'
	EOF
	run_as "$user" "$bin/pg_ctl" --pgdata="$data" --log="$log" --wait --timeout="$WAIT" --silent start >/dev/null \
		|| { tail -n 20 "$log" >&2 || true; die "databases: PostgreSQL did not start"; }
	PGPASSWORD=$DB_PASSWORD "$bin/psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --host="$dir/pg" --port="$PG_PORT" \
		--username="$PG_ADMIN" --dbname=postgres >/dev/null <<-EOF
		CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD';
		CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING 'UTF8';
	EOF
}

pg_stop() {
	local dir=$1 data="$1/pg/data" bin pid user
	[[ -f "$data/postmaster.pid" ]] || return 0
	pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
	user=$(stat -c %U "$data")
	if bin=$(pg_bindir); then
		run_as "$user" "$bin/pg_ctl" --pgdata="$data" --mode=fast --wait --timeout="$WAIT" --silent stop >/dev/null 2>&1 || true
	fi
	if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid"; then
		log "databases: PostgreSQL ($pid) did not stop; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
}

# ---- MariaDB ------------------------------------------------------------------------------------

my_admin() { # the client as the server's admin (unix_socket authentication: our own system user)
	local dir=$1
	shift
	mariadb --no-defaults --socket="$dir/my/mariadb.sock" --user="$my_admin_user" "$@"
}

my_start() {
	local dir=$1 user data log t0 pid
	command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1 \
		|| die "databases: no MariaDB server (run ./build.sh setup db)"
	user=$(server_user mysql)
	# The admin account: root when we are root, else an account named after us; either way it
	# logs in only through the socket, as that system user (unix_socket authentication).
	my_admin_user=$me
	data="$dir/my/data"
	log="$dir/my/mariadbd.log"
	mkdir -p "$dir/my/tmp"
	chmod 755 "$dir/my"
	((root)) && chown -R "$user" "$dir/my"
	local user_opt=()
	((root)) && user_opt=(--user="$user")
	mariadb-install-db --no-defaults --datadir="$data" "${user_opt[@]}" --auth-root-authentication-method=socket \
		--auth-root-socket-user="$me" --skip-test-db --skip-name-resolve >"$dir/my/install-db.log" 2>&1 \
		|| { cat "$dir/my/install-db.log" >&2; die "databases: mariadb-install-db failed"; }
	# setsid and no inherited descriptor: the server must not hold the stage's output pipe open.
	# innodb_flush_log_at_trx_commit=0 and no doublewrite: speed over durability, as above;
	# flush method fsync, not O_DIRECT, which tmpfs (DIR in /dev/shm) does not have.
	setsid mariadbd --no-defaults --datadir="$data" "${user_opt[@]}" --socket="$dir/my/mariadb.sock" \
		--skip-networking --pid-file="$dir/my/mariadbd.pid" --log-error="$log" --tmpdir="$dir/my/tmp" \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_bin --default-time-zone=+00:00 \
		--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-flush-method=fsync \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
		--skip-log-bin --max-connections=40 </dev/null >/dev/null 2>&1 &
	pid=$!
	printf '%s\n' "$pid" >"$dir/my/server.pid"
	t0=$SECONDS
	until my_admin "$dir" --execute='SELECT 1' >/dev/null 2>&1; do
		alive "$pid" || { tail -n 20 "$log" >&2 || true; die "databases: MariaDB exited while starting"; }
		((SECONDS - t0 < WAIT)) || { tail -n 20 "$log" >&2 || true; die "databases: MariaDB not ready after ${WAIT}s"; }
		sleep 0.1
	done
	# The test user may create and drop the databases tcr_* (one per TalkDatabase::create()).
	my_admin "$dir" <<-EOF
		CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
		CREATE USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
		GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
		GRANT ALL PRIVILEGES ON \`tcr\\_%\`.* TO '$DB_USER'@'localhost';
	EOF
}

my_stop() {
	local dir=$1 pid t0
	[[ -f "$dir/my/server.pid" ]] || return 0
	pid=$(cat "$dir/my/server.pid")
	[[ "$pid" =~ ^[0-9]+$ ]] || return 0
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true # mariadbd shuts down cleanly on SIGTERM
	t0=$SECONDS
	while alive "$pid"; do
		if ((SECONDS - t0 >= WAIT)); then
			log "databases: MariaDB ($pid) did not stop; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.05
	done
}

# ---- commands -----------------------------------------------------------------------------------

write_env() {
	local dir=$1
	{
		printf 'export TCR_PGSQL_DSN=%q\n' "pgsql:host=$dir/pg;port=$PG_PORT;dbname=$DB_NAME"
		printf 'export TCR_PGSQL_USER=%q\n' "$DB_USER"
		printf 'export TCR_PGSQL_PASSWORD=%q\n' "$DB_PASSWORD"
		printf 'export TCR_MYSQL_DSN=%q\n' "mysql:unix_socket=$dir/my/mariadb.sock;dbname=$DB_NAME"
		printf 'export TCR_MYSQL_USER=%q\n' "$DB_USER"
		printf 'export TCR_MYSQL_PASSWORD=%q\n' "$DB_PASSWORD"
	} >"$dir/env.tmp"
	mv "$dir/env.tmp" "$dir/env"
}

cmd=${1:-}
[[ $# -eq 2 && ( "$cmd" == start || "$cmd" == stop ) ]] || die "usage: scripts/databases.sh start|stop DIR"
case "$cmd" in
start)
	dir=$(abs_dir "$2")
	((${#dir} <= 90)) || die "databases: '$dir' is too long for a unix socket path"
	[[ -z "$(ls -A "$dir")" ]] || die "databases: '$dir' is not empty"
	touch "$dir/$MARKER"
	chmod 755 "$dir" # the servers' users must reach their directories
	t0=$(now_ms)
	# A failed start stops what already runs (the caller's stop would too).
	trap 'my_stop "$dir"; pg_stop "$dir"; rm -rf "$dir"' EXIT
	# Both at once (in subshells; each dies on its own failure): the start takes the longer one's time.
	pg_start "$dir" &
	pg=$!
	my_start "$dir" &
	my=$!
	ok=1
	wait "$pg" || ok=0
	wait "$my" || ok=0
	((ok)) || die "databases: the start failed (logs above; $dir is removed)"
	write_env "$dir"
	trap - EXIT
	log "databases: PostgreSQL $("$(pg_bindir)/postgres" --version | awk '{print $3}') and MariaDB" \
		"$(mariadbd --version | awk '{print $3}' | cut -d- -f1) ready in $dir in $(fmt_ms $(($(now_ms) - t0)))"
	;;
stop)
	[[ -d "$2" ]] || exit 0
	dir=$(abs_dir "$2")
	[[ -f "$dir/$MARKER" ]] || die "databases: '$dir' was not made by 'scripts/databases.sh start'; not touching it"
	t0=$(now_ms)
	my_stop "$dir" &
	pg_stop "$dir"
	wait
	rm -rf "$dir"
	log "databases: stopped and removed in $(fmt_ms $(($(now_ms) - t0)))"
	;;
esac
