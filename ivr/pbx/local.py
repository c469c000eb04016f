"""The local PBX: Asterisk 22 from Debian's packages, in a root under var/, run as the asterisk user.

Debian 12 carries no asterisk package; the unstable suite does, so `up` debootstraps a
minimal unstable root once, keeps a tarball of it in the cache directory, and unpacks
that on later fresh starts (seconds, not a minute).
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from .. import config_check
from ..config import Config
from ..errors import PbxError
from . import probe
from .ami import pbx_status
from .render import render_config

PACKAGES = ["asterisk", "asterisk-core-sounds-en-wav", "asterisk-core-sounds-en-gsm", "asterisk-core-sounds-fr-wav",
            "asterisk-moh-opsound-wav"]
MIRROR = "http://deb.debian.org/debian"


def config_dir() -> Path:
    """The shipped `asterisk-config/`: beside the package in a checkout, else in the working directory."""
    beside = Path(__file__).resolve().parents[2] / "asterisk-config"
    return beside if beside.is_dir() else Path.cwd() / "asterisk-config"


READY_MARK = ".ivr-root-ready"
# Directories Asterisk writes to: they must belong to the asterisk user inside the root.
ASTERISK_DIRS = ["etc/asterisk", "var/lib/asterisk", "var/log/asterisk", "var/spool/asterisk",
                 "var/cache/asterisk", "run/asterisk"]


class LocalPbx:
    def __init__(self, config: Config, say: Callable[[str], None] = print):
        self.config = config
        self.say = say
        self.dir = Path(config.pbx.root).resolve()
        self.root = self.dir / "root"
        packages = hashlib.sha256(" ".join(PACKAGES).encode()).hexdigest()[:8]
        self.cache = Path(config.pbx.cache) / f"asterisk-root-{config.pbx.suite}-{packages}.tar"

    # -- public verbs ----------------------------------------------------------
    def up(self, timeout: float = 90.0) -> None:
        _require_root("ivr pbx up")
        config_check.refuse_shipped_passwords(self.config)
        pid = self.pid()
        if pid:
            changed = self._write_config()
            if changed:
                self._asterisk("-rx", "core reload", check=False)
                self.say(f"PBX already running (pid {pid}); reloaded its changed config: {', '.join(changed)}")
            else:
                self.say(f"PBX already running (pid {pid})")
            return
        self._check_ports_free()
        self._ensure_root()
        self._install_config()
        self._mount()
        self._start()
        try:
            version = asyncio.run(probe.wait_ready(self.config, timeout))
        except PbxError as exc:
            raise PbxError(f"{exc}; see {self.root}/var/log/asterisk/messages.log") from None
        self.say(f"PBX up: Asterisk {version}, SIP {self.config.sip.host}:{self.config.sip.port}/udp, "
                 f"ARI {self.config.ari.url}, AMI {self.config.ami.host}:{self.config.ami.port}")

    def down(self) -> None:
        _require_root("ivr pbx down")
        pid = self.pid()
        if pid:
            self._asterisk("-rx", "core stop now", check=False)
            if not _wait_gone(pid, 10):
                os.kill(pid, signal.SIGTERM)
                if not _wait_gone(pid, 5):
                    os.kill(pid, signal.SIGKILL)
                    _wait_gone(pid, 5)
        self._unmount()
        self.say("PBX stopped" if pid else "PBX was not running")

    def status(self) -> dict | None:
        pid = self.pid()
        if not pid:
            return None
        return {"pid": pid, **asyncio.run(pbx_status(self.config.ami))}

    def cli(self, command: str) -> tuple[int, str]:
        if not self.pid():
            raise PbxError("the PBX is not running: start it with `ivr pbx up`")
        proc = self._asterisk("-rx", command, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    def pid(self) -> int | None:
        """The running Asterisk's pid, or None."""
        try:
            pid = int((self.root / "run/asterisk/asterisk.pid").read_text().strip())
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except (OSError, ValueError):
            return None
        return pid if comm == "asterisk" else None

    # -- steps -------------------------------------------------------------------
    def _check_ports_free(self) -> None:
        for what, host, port, kind in probe.ports(self.config):
            if probe.port_in_use(host, port, kind):
                proto = "udp" if kind == socket.SOCK_DGRAM else "tcp"
                raise PbxError(f"{what} port {host}:{port}/{proto} is already in use by another program; "
                               "stop it or choose another port in the config")

    def _ensure_root(self) -> None:
        mark = self.root / READY_MARK
        if mark.exists() and mark.read_text().strip() == self.cache.name:
            return
        if self._mounted():
            raise PbxError(f"{self.root} is half-built but has mounts: run `ivr pbx down` first")
        partial = self.dir / "root.partial"
        try:
            for old in (self.root, partial):
                if old.exists():
                    shutil.rmtree(old)
            partial.mkdir(parents=True)
        except OSError as exc:
            raise PbxError(f"cannot prepare {partial}: {exc}") from None
        if self.cache.exists():
            self.say(f"unpacking the cached Asterisk root from {self.cache}")
            _run(["tar", "-xf", str(self.cache), "-C", str(partial)], "unpacking the cached root")
        else:
            self._debootstrap(partial)
        (partial / READY_MARK).write_text(self.cache.name + "\n")
        partial.rename(self.root)

    def _debootstrap(self, target: Path) -> None:
        if not shutil.which("debootstrap"):
            self.say("installing debootstrap")
            if subprocess.run(["apt-get", "install", "-y", "-q", "debootstrap"], capture_output=True).returncode:
                raise PbxError("debootstrap is missing and `apt-get install debootstrap` failed "
                               "(run `apt-get update` first, or install it by hand)")
        self.say(f"building the Asterisk root in {self.root} from Debian {self.config.pbx.suite} "
                 "(about a minute, once)")
        _run(["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES),
              self.config.pbx.suite, str(target), MIRROR], "debootstrap")
        self.cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache.with_suffix(".partial")
        _run(["tar", "-cf", str(tmp), "-C", str(target), "--exclude=./proc/*", "--exclude=./dev/*", "."],
             "caching the root")
        tmp.rename(self.cache)

    def _install_config(self) -> None:
        hostname = socket.gethostname()
        # No DNS here: without its own name in /etc/hosts, Asterisk threads block on lookups.
        (self.root / "etc/hosts").write_text(f"127.0.0.1 localhost {hostname}\n::1 localhost\n")
        (self.root / "etc/resolv.conf").write_text("")
        french = self.root / "usr/share/asterisk/sounds/fr"
        if not french.exists() and french.with_name("fr_CA_f_June").is_dir():
            french.symlink_to("fr_CA_f_June")  # Debian ships French prompts without the plain `fr` name
        self._write_config()
        uid, gid = self._asterisk_ids()
        for rel in ASTERISK_DIRS:
            top = self.root / rel
            top.mkdir(parents=True, exist_ok=True)
            for path in [top, *top.rglob("*")]:
                os.lchown(path, uid, gid)

    def _write_config(self) -> list[str]:
        """Make etc/asterisk hold exactly our rendered config; return the names of files that changed."""
        etc = self.root / "etc/asterisk"
        etc.mkdir(exist_ok=True)
        wanted = render_config(config_dir(), self.config)
        changed = []
        for path in etc.iterdir():
            if path.name not in wanted:
                path.unlink() if path.is_file() or path.is_symlink() else shutil.rmtree(path)
        for name, text in wanted.items():
            path = etc / name
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                changed.append(name)
        uid, gid = self._asterisk_ids()
        for path in [etc, *etc.iterdir()]:
            os.lchown(path, uid, gid)
        os.chmod(etc, 0o750)  # it holds the ARI, AMI and agent passwords
        return changed

    def _asterisk_ids(self) -> tuple[int, int]:
        for line in (self.root / "etc/passwd").read_text().splitlines():
            parts = line.split(":")
            if parts[0] == "asterisk":
                return int(parts[2]), int(parts[3])
        raise PbxError(f"{self.root}/etc/passwd has no asterisk user: remove {self.root} and run `ivr pbx up`")

    def _mounted(self) -> list[str]:
        prefix = str(self.root) + "/"
        with open("/proc/mounts") as mounts:
            points = [line.split()[1] for line in mounts]
        return [p for p in points if p.startswith(prefix)]

    def mounts(self) -> list[tuple[str, list[str]]]:
        """(path inside the root, mount arguments): what Asterisk needs, and the directories it shares with us."""
        media = self.config.media
        return [
            ("dev", ["--bind", "/dev"]),  # /dev/null, /dev/urandom
            ("proc", ["-t", "proc", "proc"]),
            (media.pbx_prompts_dir.lstrip("/"), ["--bind", media.prompts_dir]),
            (media.pbx_flows_dir.lstrip("/"), ["--bind", "-o", "ro", self.config.flows.dir]),
            (media.pbx_recordings_dir.lstrip("/"), ["--bind", media.recordings_dir]),
        ]

    def _mount(self) -> None:
        mounted = set(self._mounted())
        uid, gid = self._asterisk_ids()
        for host_dir in (self.config.media.prompts_dir, self.config.media.recordings_dir, self.config.flows.dir):
            Path(host_dir).mkdir(parents=True, exist_ok=True)
        os.chown(self.config.media.recordings_dir, uid, gid)  # Asterisk writes recordings there
        for rel, args in self.mounts():
            point = self.root / rel
            if str(point) not in mounted:
                point.mkdir(parents=True, exist_ok=True)
                _run(["mount", *args, str(point)], f"mounting {rel}")

    def _unmount(self) -> None:
        for point in sorted(self._mounted(), key=len, reverse=True):
            if subprocess.run(["umount", point], capture_output=True).returncode:
                _run(["umount", "-l", point], f"unmounting {point}")

    def _start(self) -> None:
        def raise_limits() -> None:
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (65536, max(hard, 65536)))
            except (ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

        proc = subprocess.run(
            ["chroot", str(self.root), "/usr/sbin/asterisk", "-U", "asterisk", "-G", "asterisk"],
            capture_output=True, text=True, preexec_fn=raise_limits, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
        if proc.returncode:
            raise PbxError(f"Asterisk failed to start: {(proc.stderr or proc.stdout).strip()[:300]}")

    def _asterisk(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["chroot", str(self.root), "/usr/sbin/asterisk", *args],
                              capture_output=True, text=True, check=check, timeout=30)


def _require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise PbxError(f"{what} must run as root (it builds a chroot, mounts /dev and /proc, and starts Asterisk)")


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PbxError(f"{what} failed (exit {proc.returncode}): {detail[0]}")


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.1)
    return not Path(f"/proc/{pid}").exists()
