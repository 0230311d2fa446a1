"""A throwaway PostgreSQL server for the tests: Debian's `postgresql` package (.ci/run installs
it), started by the test run in a temporary folder, on 127.0.0.1 only, stopped afterwards."""
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile


def server_binaries():
    """The folder holding initdb and pg_ctl (Debian keeps them out of PATH)."""
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not folders or not os.path.exists(os.path.join(folders[-1], "initdb")):
        raise RuntimeError("PostgreSQL server binaries not found: install Debian's `postgresql` "
                           "package (.ci/run does)")
    return folders[-1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_postgres():
    """Start a server; yield a function that creates a database and returns its SQLAlchemy URL."""
    bin_dir = server_binaries()
    # The server refuses to run as root: run it as Debian's `postgres` user, in a folder that
    # user owns (pytest's temporary folders are private to root).
    as_server_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = tempfile.mkdtemp(prefix="grader-pg-")
    data = os.path.join(home, "data")
    if as_server_user:
        shutil.chown(home, "postgres", "postgres")

    def run(*cmd):
        subprocess.run(as_server_user + [os.path.join(bin_dir, cmd[0]), *cmd[1:]], check=True,
                       capture_output=True, text=True)

    port = _free_port()
    try:
        run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        run("pg_ctl", "-D", data, "-l", os.path.join(home, "server.log"), "-w", "-t", "60", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {home} -c fsync=off", "start")
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(home, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr[-2000:]}") from None

    def new_database(name):
        import psycopg
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{port}/{name}"

    try:
        yield new_database
    finally:
        subprocess.run(as_server_user + [os.path.join(bin_dir, "pg_ctl"), "-D", data, "-m", "immediate",
                                         "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
