"""The host side of the uhid rig: a real Linux kernel for `vauth serve --uhid`.

Debian's own kernel image (fetched with `apt-get download`, never installed) boots under QEMU
without KVM (`-accel tcg`) from an initramfs this module writes: busybox-static, the kernel's
hid, uhid and hid-generic modules, the vauth binaries under test, libfido2's tools, every shared
library `ldd` lists for them, and the guest scripts (guest-init.sh as /init, flows.sh). The guest
writes its result lines to its second serial port, which QEMU puts in a file here; its console
(the first serial port) is kept as the log. See README.md beside this file.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# Git-ignored (.build/): the extracted kernel and modules, kept between runs.
CACHE = Path(os.environ.get("VAUTH_RIG_CACHE", REPO / ".build" / "uhid-rig"))
KERNEL_METAPACKAGE = "linux-image-amd64"
MODULES = ("hid", "uhid", "hid-generic")  # load order: uhid and hid-generic need hid
TOOLS = ("fido2-token", "fido2-cred", "fido2-assert")
QEMU = "qemu-system-x86_64"
BUSYBOX = Path("/bin/busybox")
PUBLIC_SUFFIX_DIR = Path("/usr/share/publicsuffix")  # libpsl's data, which vauth loads
RESULT_PREFIX = "VAUTH-RIG "


def missing_prerequisite() -> str | None:
    """Why the rig cannot run on this machine (a reason to skip), or None."""
    if shutil.which("ldd") is None:
        return "ldd is not available (the rig copies the libraries it lists)"
    if shutil.which(QEMU) is None:
        return f"{QEMU} is not installed (Debian package qemu-system-x86, in setup.sh's list)"
    if not BUSYBOX.is_file() or _run(["ldd", str(BUSYBOX)], check=False).returncode == 0:
        return "no static /bin/busybox (Debian package busybox-static, in setup.sh's list)"
    for tool in TOOLS:
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian package fido2-tools, in setup.sh's list)"
    for command in ("apt-get", "apt-cache", "dpkg-deb", "tar"):
        if shutil.which(command) is None:
            return f"{command} is not available (the rig takes its kernel from Debian's archive)"
    return None


def _run(argv, check=True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    if check and result.returncode != 0:
        raise RigError(f"{' '.join(map(str, argv))} exited {result.returncode}: {result.stderr.decode(errors='replace').strip()[-500:]}")
    return result


class RigError(Exception):
    """The rig could not be built (as opposed to a guest step failing)."""


# --- files from Debian packages --------------------------------------------------------


@dataclasses.dataclass
class DebianFiles:
    """Some files of one Debian package version, extracted into the cache."""
    package: str
    version: str
    directory: Path

    def __getitem__(self, name: str) -> Path:
        return self.directory / name


def _candidate(package: str) -> str:
    policy = _run(["apt-cache", "policy", package]).stdout.decode()
    version = re.search(r"Candidate: (\S+)", policy)
    if not version or version.group(1) == "(none)":
        raise RigError(f"no candidate version of {package} (run apt-get update): {policy.strip()[:200]}")
    return version.group(1)


def kernel_package() -> str:
    """The kernel package linux-image-amd64 depends on now."""
    depends = _run(["apt-cache", "depends", KERNEL_METAPACKAGE], check=False).stdout.decode()
    match = re.search(r"Depends: (linux-image-[0-9][^\s]*)", depends)
    if not match:
        raise RigError(f"apt-cache knows no {KERNEL_METAPACKAGE} (run apt-get update): {depends.strip()[:200]}")
    return match.group(1)


def _cached(directory: Path) -> DebianFiles | None:
    if not (directory / "complete").is_file():
        return None
    package, version = (directory / "complete").read_text().split()
    return DebianFiles(package, version, directory)


def _refresh_package_lists() -> None:
    """Stale package lists name files the archive no longer has: refresh them, under the lock
    setup.sh takes for apt."""
    update = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-qq"]
    if shutil.which("flock"):
        update = ["flock", "--timeout", "1200", "/tmp/.vauth-setup-apt.lock", *update]
    _run(update, check=False)


def debian_files(resolve, members, log=lambda line: None) -> DebianFiles:
    """The files `members(package)` names ({member path in the package: name in the cache}) of
    the package `resolve()` names, at its candidate version: from the cache, else fetched with
    `apt-get download` (never installed) and cut out of it."""
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        package = resolve()
        version = _candidate(package)
    except RigError:
        # No package lists (offline): what was fetched before will do.
        previous = sorted(filter(None, (_cached(d) for d in CACHE.glob("*_*"))), key=lambda f: f.directory.stat().st_mtime)
        previous = [f for f in previous if set(members(f.package).values()) <= {p.name for p in f.directory.iterdir()}]
        if previous:
            return previous[-1]
        raise
    target = CACHE / f"{package}_{version}"
    if files := _cached(target):
        return files
    log(f"fetching {package} {version}")
    with tempfile.TemporaryDirectory(dir=CACHE, prefix=".download-") as scratch:
        scratch = Path(scratch)
        scratch.chmod(0o777)  # apt's sandbox user writes there (else apt warns, and downloads as root)
        if _run(["apt-get", "download", "-q", f"{package}={version}"], check=False, cwd=scratch).returncode != 0:
            _refresh_package_lists()
            package = resolve()
            version = _candidate(package)
            target = CACHE / f"{package}_{version}"
            _run(["apt-get", "download", "-q", f"{package}={version}"], cwd=scratch)
        debs = list(scratch.glob(f"{package}_*.deb"))
        if len(debs) != 1:
            raise RigError(f"apt-get download {package} left {[d.name for d in debs]}")
        wanted = members(package)
        # --occurrence: tar stops reading once it has them all (the kernel's HID modules come
        # early in its archive), instead of decompressing all 400 MB of modules.
        deb_data = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(debs[0])], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        tar = subprocess.Popen(["tar", "-x", "--occurrence", "-C", str(scratch), *wanted],
                               stdin=deb_data.stdout, stderr=subprocess.PIPE)
        deb_data.stdout.close()
        _, tar_errors = tar.communicate(timeout=600)
        deb_data.wait(timeout=60)  # ended by SIGPIPE when tar stops early: expected
        staged = scratch / "staged"
        staged.mkdir()
        for member, name in wanted.items():
            source = scratch / member
            if not source.is_file():
                raise RigError(f"{debs[0].name} has no {member}: {tar_errors.decode(errors='replace').strip()[-300:]}")
            source.rename(staged / name)
        (staged / "complete").write_text(f"{package} {version}\n")
        try:
            staged.rename(target)
        except OSError:
            if not _cached(target):  # another run put it there meanwhile: use theirs
                raise
    prefix = "linux-image-" if package.startswith("linux-image-") else f"{package}_"
    for old in CACHE.glob(f"{prefix}*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return _cached(target)


def debian_kernel(log=lambda line: None) -> DebianFiles:
    """Debian's current amd64 kernel: "vmlinuz" and the HID modules ("hid.ko", …)."""
    def members(package: str) -> dict[str, str]:
        release = package.removeprefix("linux-image-")
        wanted = {f"./boot/vmlinuz-{release}": "vmlinuz"}
        for name in MODULES:
            wanted[f"./lib/modules/{release}/kernel/drivers/hid/{name}.ko"] = f"{name}.ko"
        return wanted
    return debian_files(kernel_package, members, log)


def debian_fido_id(log=lambda line: None) -> DebianFiles:
    """systemd's fido_id ("fido_id"), from Debian's udev package: what its 60-fido-id.rules runs
    on every new hidraw node to tag security keys (ID_SECURITY_TOKEN=1, which 70-uaccess.rules
    turns into access for the logged-in user)."""
    return debian_files(lambda: "udev", lambda package: {"./lib/udev/fido_id": "fido_id"}, log)


# --- the initramfs ------------------------------------------------------------------------


def shared_libraries(binaries: list[Path]) -> set[str]:
    """Every library path ldd lists for the binaries, the dynamic loader included."""
    paths: set[str] = set()
    for binary in binaries:
        output = _run(["ldd", str(binary)]).stdout.decode()
        for line in output.splitlines():
            line = line.strip()
            if "not found" in line:
                raise RigError(f"ldd {binary}: {line}")
            if "=>" in line:
                target = line.split("=>", 1)[1].split("(")[0].strip()
                if target:
                    paths.add(target)
            elif line.startswith("/"):
                paths.add(line.split("(")[0].strip())
    return paths


class NewcArchive:
    """A cpio archive in the kernel's "newc" format (Documentation/driver-api/early-userspace/
    buffer-format.rst), written directly: every member owned by root, no staging copy."""

    def __init__(self, file):
        self.file = file
        self.inode = 1
        self.directories: set[str] = set()

    def _member(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)):
        name_bytes = name.encode() + b"\0"
        fields = [self.inode, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_bytes), 0]
        self.inode += 1
        header = b"070701" + b"".join(b"%08x" % field for field in fields)
        self.file.write(header + name_bytes + b"\0" * (-(len(header) + len(name_bytes)) % 4))
        self.file.write(data + b"\0" * (-len(data) % 4))

    def directory(self, path: str):
        path = path.strip("/")
        if not path or path in self.directories:
            return
        self.directory(os.path.dirname(path))
        self.directories.add(path)
        self._member(path, stat.S_IFDIR | 0o755)

    def file_from(self, path: str, source: Path, mode: int | None = None):
        self.bytes(path, source.read_bytes(), mode if mode is not None else source.stat().st_mode & 0o777)

    def bytes(self, path: str, data: bytes, mode: int = 0o644):
        path = path.strip("/")
        self.directory(os.path.dirname(path))
        self._member(path, stat.S_IFREG | mode, data)

    def symlink(self, path: str, target: str):
        path = path.strip("/")
        self.directory(os.path.dirname(path))
        self._member(path, stat.S_IFLNK | 0o777, target.encode())

    def character_device(self, path: str, major: int, minor: int):
        path = path.strip("/")
        self.directory(os.path.dirname(path))
        self._member(path, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def close(self):
        self._member("TRAILER!!!", 0)


@dataclasses.dataclass
class GuestConfig:
    limit_seconds: int
    tool_timeout_seconds: int
    steps: str = ""  # a subset of flows.sh's steps, for a developer's quicker boot


def build_initramfs(output: Path, kernel: DebianFiles, fido_id: DebianFiles, vauth_dir: Path, ping: Path,
                    config: GuestConfig) -> int:
    """Writes the guest's initramfs (uncompressed: the kernel unpacks it at memory speed, where
    gunzip under TCG costs seconds); returns its size in bytes."""
    vauth = [vauth_dir / "vauth", vauth_dir / "vauth-services"]
    for binary in vauth:
        if not binary.is_file():
            raise RigError(f"no {binary}: build vauth first (swift build)")
    tools = [Path(shutil.which(tool)) for tool in TOOLS] + [ping, fido_id["fido_id"]]
    with output.open("wb") as file:
        archive = NewcArchive(file)
        for directory in ("proc", "sys", "dev", "tmp", "etc", "root"):
            archive.directory(directory)
        archive.character_device("dev/console", 5, 1)
        # An unprivileged user for the guest's udev-rule step (uid and gid 1000).
        archive.bytes("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nrig:x:1000:1000:rig:/tmp:/bin/sh\n")
        archive.bytes("etc/group", b"root:x:0:\nrig:x:1000:\n")
        archive.file_from("bin/busybox", BUSYBOX, 0o755)
        archive.symlink("bin/sh", "busybox")
        archive.file_from("init", HERE / "guest-init.sh", 0o755)
        archive.file_from("rig/flows.sh", HERE / "flows.sh", 0o755)
        archive.bytes("rig/config", (f"VAUTH_RIG_LIMIT={config.limit_seconds}\n"
                                     f"VAUTH_RIG_TOOL_TIMEOUT={config.tool_timeout_seconds}\n"
                                     f"VAUTH_RIG_STEPS='{config.steps}'\n").encode())
        for name in MODULES:
            archive.file_from(f"rig/modules/{name}.ko", kernel[f"{name}.ko"], 0o644)
        for binary in vauth:
            archive.file_from(f"usr/local/bin/{binary.name}", binary.resolve(), 0o755)
        for tool in tools[:len(TOOLS)]:
            archive.file_from(str(tool), tool.resolve(), 0o755)
        archive.file_from("usr/local/bin/ctaphid-ping", ping, 0o755)
        archive.file_from("lib/udev/fido_id", fido_id["fido_id"], 0o755)
        # Each library at the path ldd gave (the loader finds it there), with the content of the
        # file that path resolves to on the host.
        for library in sorted(shared_libraries(vauth + tools)):
            archive.file_from(library, Path(library).resolve(), 0o755)
        if PUBLIC_SUFFIX_DIR.is_dir():
            for entry in sorted(PUBLIC_SUFFIX_DIR.iterdir()):
                if entry.is_file():
                    archive.file_from(str(entry), entry.resolve(), 0o644)
        archive.close()
    return output.stat().st_size


# --- the boot -----------------------------------------------------------------------------


@dataclasses.dataclass
class GuestRun:
    results: dict[str, tuple[bool, str]]  # step -> (passed, milliseconds or reason)
    events: dict[str, str]                # boot, end, timeout -> their argument
    console: str
    seconds: float
    exit_status: int | None               # None: QEMU was killed at the host's deadline

    def describe(self) -> str:
        tail = "\n".join(self.console.splitlines()[-60:])
        return (f"QEMU exit status {self.exit_status}, {self.seconds:.1f} s, events {self.events}; "
                f"console tail:\n{tail}")


def parse_results(text: str) -> tuple[dict[str, tuple[bool, str]], dict[str, str]]:
    """The guest's (or flows.sh's) result lines; anything else on the channel is ignored."""
    results: dict[str, tuple[bool, str]] = {}
    events: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip("\r\n\0 ")
        if not line.startswith(RESULT_PREFIX):
            continue
        words = line[len(RESULT_PREFIX):].split(" ", 2)
        if words[0] in ("ok", "fail") and len(words) >= 2:
            results[words[1]] = (words[0] == "ok", words[2] if len(words) > 2 else "")
        else:
            events[words[0]] = " ".join(words[1:])
    return results, events


def boot(kernel: DebianFiles, initramfs: Path, workdir: Path, host_timeout: float, memory_mb: int = 1024,
         kernel_arguments: str = "quiet") -> GuestRun:
    """Boots the guest once and waits (at most host_timeout seconds) for it to power off."""
    console, results = workdir / "console.log", workdir / "results.log"
    argv = [QEMU, "-accel", "tcg", "-m", str(memory_mb), "-smp", "1", "-nodefaults", "-no-reboot",
            "-display", "none", "-no-user-config",
            "-kernel", str(kernel["vmlinuz"]), "-initrd", str(initramfs),
            "-append", f"console=ttyS0 panic=-1 {kernel_arguments}",
            "-serial", f"file:{console}", "-serial", f"file:{results}"]
    started = time.monotonic()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = process.communicate(timeout=host_timeout)
        status = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        status = None
    seconds = time.monotonic() - started
    console_text = (output.decode(errors="replace") + console.read_text(errors="replace")) if console.exists() else output.decode(errors="replace")
    parsed, events = parse_results(results.read_text(errors="replace") if results.exists() else "")
    return GuestRun(parsed, events, console_text, seconds, status)


@functools.cache
def plan() -> list[str]:
    """The steps the guest reports, from guest-init.sh (which asks flows.sh for its own)."""
    return _run(["sh", str(HERE / "guest-init.sh"), "--plan"]).stdout.decode().split()


@functools.cache
def flows_plan() -> list[str]:
    return _run(["sh", str(HERE / "flows.sh"), "--plan"]).stdout.decode().split()


def _c_compiler() -> str:
    """The Swift toolchain's clang (always there where vauth builds), else cc."""
    swift = shutil.which("swift") or "/opt/swift/usr/bin/swift"
    compilers = [str(Path(swift).resolve().parent / "clang"), "cc", "gcc"]
    compiler = next((c for c in compilers if shutil.which(c) or Path(c).is_file()), None)
    if compiler is None:
        raise RigError("no C compiler (the Swift toolchain's clang, or cc)")
    return compiler


def build_udp_shim(output: Path) -> Path:
    """libfido2-udp.c as an LD_PRELOAD library, against Debian's libfido2 (libfido2-dev)."""
    _run([_c_compiler(), "-O1", "-Wall", "-Werror", "-shared", "-fPIC", "-o", str(output),
          str(HERE / "libfido2-udp.c"), "-lfido2"])
    return output


def build_ping(output: Path) -> Path:
    """ctaphid-ping.c, for the host and (with the host's libc, which the initramfs carries) the guest."""
    _run([_c_compiler(), "-O1", "-Wall", "-Werror", "-o", str(output), str(HERE / "ctaphid-ping.c")])
    return output
