"""A real IMAP server for the tests: Dovecot from the machine's dovecot-imapd package.

Like `postgres_server`, it runs in a temporary folder on free loopback ports, as an
unprivileged user when the tests run as root (every Dovecot process, the mail files
included, belongs to that one user), with one user whose password is in a passwd-file.
The tests read plain `imap://` on `port`; `tls_port` serves IMAPS with a self-signed
certificate made by openssl (a dovecot-core dependency), to show that TLS is verified.
If Dovecot is missing or cannot start, the tests that ask for it fail loudly: they are
never skipped quietly.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.loopback import free_port, unprivileged_account

USER = "replies@cam.test"
PASSWORD = "imap-test-password"


def _dovecot() -> str:
    """The server program from the PATH, or Debian's /usr/sbin (not on every user's PATH)."""
    return shutil.which("dovecot") or "/usr/sbin/dovecot"


class ImapServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cam-imap-"))
        self.port = free_port()  # plain IMAP, what the tests use
        self.tls_port = free_port()  # IMAPS with a self-signed certificate for 127.0.0.1 (`certificate`)
        self.user = USER
        self.password = PASSWORD
        root = os.geteuid() == 0
        self.account = unprivileged_account("dovecot", "nobody") if root else pwd.getpwuid(os.geteuid())
        self.version = ""
        self._names = itertools.count(1)
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, folder: str = "INBOX") -> str:
        """CAM_IMAP_URL for a folder of this server: plain IMAP on loopback, the test user."""
        return f"imap://{self.user.replace('@', '%40')}@127.0.0.1:{self.port}/{folder}"

    def new_folder(self) -> str:
        """A fresh, empty folder of the test user (each test its own mailbox); its name."""
        name = f"Replies{next(self._names)}"
        client = self.connect()
        try:
            status, detail = client.create(name)
            if status != "OK":
                raise RuntimeError(f"CREATE {name} failed: {detail!r}")
        finally:
            client.logout()
        return name

    @property
    def certificate(self) -> Path:
        """The IMAPS listener's self-signed certificate (CN and IP 127.0.0.1): trust it with SSL_CERT_FILE."""
        return self.root / "cert.pem"

    def _make_certificate(self) -> None:
        done = subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
                *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(self.root / "key.pem")),
                *("-out", str(self.certificate)),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"openssl could not make the test server's certificate:\n{done.stderr}")

    def _config(self) -> Path:
        name, uid, gid = self.account.pw_name, self.account.pw_uid, self.account.pw_gid
        self._make_certificate()
        users = self.root / "users"
        users.write_text(f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{self.root / 'home'}::\n")
        conf = self.root / "dovecot.conf"
        conf.write_text(
            f"""\
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.certificate}
ssl_key = <{self.root / "key.pem"}
base_dir = {self.root / "run"}
state_dir = {self.root / "state"}
log_path = {self.root / "dovecot.log"}
info_log_path = {self.root / "dovecot.log"}
default_internal_user = {name}
default_internal_group = {grp.getgrgid(gid).gr_name}
default_login_user = {name}
mail_location = maildir:{self.root / "mail"}/%u
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = 0
auth_mechanisms = plain login
disable_plaintext_auth = no
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
service anvil {{
  chroot =
  # no auth penalty: a test's wrong password must not slow the next test's login
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
}}
service auth-worker {{
  user = {name}
}}
service stats {{
  unix_listener stats-reader {{
    user = {name}
  }}
  unix_listener stats-writer {{
    user = {name}
  }}
}}
"""
        )
        for path in (self.root, users, conf, self.certificate, self.root / "key.pem"):
            os.chown(path, uid, gid)
        return conf

    def start(self) -> ImapServer:
        dovecot = _dovecot()
        if not os.path.exists(dovecot):
            raise RuntimeError(
                "IMAP tests need `dovecot` on the PATH or in /usr/sbin "
                "(Debian: apt-get install dovecot-imapd; .ci/run installs it)"
            )
        self.version = subprocess.run([dovecot, "--version"], capture_output=True, text=True).stdout.split()[0]
        conf = self._config()
        root = os.geteuid() == 0  # then everything runs as the unprivileged account
        self._process = subprocess.Popen(
            [dovecot, "-F", "-c", str(conf)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            user=self.account.pw_uid if root else None,
            group=self.account.pw_gid if root else None,
            extra_groups=[] if root else None,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                if conn.recv(200).startswith(b"* OK"):
                    return self
            time.sleep(0.1)
        exited = self._process.poll() is not None
        output = self._process.stdout.read().decode(errors="replace") if exited and self._process.stdout else ""
        log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
        self.stop()
        raise RuntimeError(f"Dovecot could not start on 127.0.0.1:{self.port}:\n{output}\n{log}")

    def connect(self) -> imaplib.IMAP4:
        """A logged-in client of the test user, for tests that put mail in or look at it."""
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Deliver messages the way a mail client would: IMAP APPEND, no flags."""
        client = self.connect()
        try:
            for message in messages:
                status, detail = client.append(folder, "", None, message)
                if status != "OK":
                    raise RuntimeError(f"APPEND to {folder} failed: {detail!r}")
        finally:
            client.logout()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()
        shutil.rmtree(self.root, ignore_errors=True)
