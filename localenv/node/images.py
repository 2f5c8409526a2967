"""Container images for the node's containerd, built here because no registry can be reached.

Each image is a docker-archive tarball (the `docker save` layout) that `ctr images import` reads: `manifest.json`,
a config JSON and one uncompressed `<diff id hex>/layer.tar` per layer. Every image starts from one base layer made
from Debian's busybox-static (the charts run sh, base64, sed, cp, pidof, kill, nc, id, sleep, mount and umount in
their containers); a second layer adds the image's own files, mostly one static binary from the toolchain's bin dir.
Archives are byte-for-byte reproducible (mtime 0, sorted members, canonical JSON), and an archive whose inputs are
unchanged is not written again.

CLI: python -m localenv.node.images OUT_DIR [--bindir DIR] [--busybox PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from localenv.controlplane.paths import cache_bin_dir, crds_dir

# Bump when the archive layout changes, so that cached archives are rebuilt.
FORMAT = 1
ARCHITECTURE = "amd64"  # the toolchain builds for this machine class
EPOCH = "1970-01-01T00:00:00Z"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
VAULT_UID, VAULT_GID = 100, 1000  # the vault chart's default uid/gid/fsGroup and the official image's user
NONROOT = 65532  # distroless's nonroot, the user of the VSO and kube-rbac-proxy images
# containerd's CRI reports images with this label as pinned, and kubelet's image GC skips them: an imported image
# that is collected cannot be pulled back.
PINNED_LABEL = "io.cri-containerd.pinned=pinned"

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    f"vault:x:{VAULT_UID}:{VAULT_GID}::/home/vault:/bin/sh\n"
    f"nonroot:x:{NONROOT}:{NONROOT}:nonroot:/home/nonroot:/bin/nologin\n"
)
GROUP = f"root:x:0:\nvault:x:{VAULT_GID}:\nnonroot:x:{NONROOT}:\n"
NSSWITCH = "hosts: files dns\n"

# PID 1 ignores signals it has no handler for, so the loop traps TERM to stop at once instead of at the grace
# period's SIGKILL; `wait` is interruptible where a foreground sleep is not.
SLEEP_LOOP = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"

# Behaves like the official image's docker-entrypoint.sh for the ways the chart and people call it: a Vault flag or
# subcommand first runs Vault, anything else runs as given. The chart sets SKIP_CHOWN and SKIP_SETCAP and runs as
# uid 100, so the official script's chown, setcap and su-exec steps would do nothing here.
VAULT_ENTRYPOINT = """\
#!/bin/sh
set -e
ulimit -c 0  # a core dump would hold secrets
if [ -n "${VAULT_LOCAL_CONFIG:-}" ]; then
    printf '%s\\n' "$VAULT_LOCAL_CONFIG" > /vault/config/local.json
fi
case "${1:-}" in
    "" | vault) ;;
    -* | version) set -- vault "$@" ;;
    server)
        shift
        set -- vault server -config=/vault/config \\
            -dev-root-token-id="${VAULT_DEV_ROOT_TOKEN_ID:-}" \\
            -dev-listen-address="${VAULT_DEV_LISTEN_ADDRESS:-0.0.0.0:8200}" "$@"
        ;;
    *) if vault --help "$1" 2>&1 | grep -q "vault $1"; then set -- vault "$@"; fi ;;
esac
exec "$@"
"""


class ImageError(RuntimeError):
    """An image's inputs are missing or unusable, or containerd refused an import."""


# What an image's own layer holds, each at an absolute path inside the image.
@dataclass(frozen=True)
class Binary:
    """A static binary copied from the toolchain's bin dir (symlinks resolved)."""

    path: str
    name: str


@dataclass(frozen=True)
class Text:
    path: str
    content: str
    mode: int = 0o755


@dataclass(frozen=True)
class Symlink:
    path: str
    target: str


@dataclass(frozen=True)
class Tree:
    """Every regular file under a host directory, mode 0644."""

    path: str
    source: Path


Content = Binary | Text | Symlink | Tree


@dataclass(frozen=True)
class ImageSpec:
    reference: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...] = ()
    user: str = ""
    files: tuple[Content, ...] = ()
    env: tuple[str, ...] = (PATH_ENV,)
    working_dir: str = "/"

    @property
    def binaries(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.files if isinstance(f, Binary))

    @property
    def archive_name(self) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "_", self.reference) + ".tar"


# Every image the node runs. References are the charts' defaults (vault's tag excepted: the chart defaults to
# hashicorp/vault:2.0.4, which is not served as a Go module, so the stacks set 1.21.0); entrypoints and users follow
# the upstream Dockerfiles, since the charts mostly set only args.
IMAGES: tuple[ImageSpec, ...] = (
    ImageSpec(
        "docker.io/hashicorp/vault:1.21.0",
        # The chart's server and the injected agents run `/bin/sh -ec` and call `vault` or this script by path.
        entrypoint=("/usr/local/bin/docker-entrypoint.sh",),
        cmd=("server", "-dev"),
        user=str(VAULT_UID),
        files=(
            Binary("/bin/vault", "vault"),
            Text("/usr/local/bin/docker-entrypoint.sh", VAULT_ENTRYPOINT),
        ),
    ),
    ImageSpec(
        "docker.io/hashicorp/vault-k8s:1.7.6",
        entrypoint=("/bin/vault-k8s",),
        user=str(VAULT_UID),
        files=(Binary("/bin/vault-k8s", "vault-k8s"),),
    ),
    ImageSpec(
        "docker.io/hashicorp/vault-csi-provider:1.7.4",
        entrypoint=("/bin/vault-csi-provider",),
        files=(Binary("/bin/vault-csi-provider", "vault-csi-provider"),),
    ),
    ImageSpec(
        "docker.io/hashicorp/vault-secrets-operator:1.4.1",
        entrypoint=("/vault-secrets-operator",),
        # The pod has runAsNonRoot and no runAsUser: the image's user must be numeric and not 0.
        user=f"{NONROOT}:{NONROOT}",
        files=(
            Binary("/vault-secrets-operator", "vault-secrets-operator"),
            # The chart's pre-upgrade hook runs /scripts/upgrade-crds: the binary by another name, applying
            # /scripts/crds.
            Symlink("/scripts/upgrade-crds", "../vault-secrets-operator"),
            Tree("/scripts/crds", crds_dir() / "vault-secrets-operator-1.4.1"),
        ),
    ),
    ImageSpec(
        "quay.io/brancz/kube-rbac-proxy:v0.18.1",
        entrypoint=("/usr/local/bin/kube-rbac-proxy",),
        user=f"{NONROOT}:{NONROOT}",  # same pod as VSO
        files=(Binary("/usr/local/bin/kube-rbac-proxy", "kube-rbac-proxy"),),
    ),
    ImageSpec(
        "registry.k8s.io/csi-secrets-store/driver:v1.6.0",
        entrypoint=("/secrets-store-csi",),  # runs busybox's mount and umount for the pods' tmpfs
        files=(Binary("/secrets-store-csi", "secrets-store-csi-driver"),),
    ),
    ImageSpec(
        "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.16.0",
        entrypoint=("/csi-node-driver-registrar",),
        files=(Binary("/csi-node-driver-registrar", "csi-node-driver-registrar"),),
    ),
    ImageSpec(
        "registry.k8s.io/sig-storage/livenessprobe:v2.18.0",
        entrypoint=("/livenessprobe",),
        files=(Binary("/livenessprobe", "livenessprobe"),),
    ),
    ImageSpec(
        "registry.k8s.io/coredns/coredns:v1.12.4",
        entrypoint=("/coredns",),
        # Upstream runs as nonroot with a file capability to bind :53; tar layers here carry no xattrs, so root.
        files=(Binary("/coredns", "coredns"),),
    ),
    ImageSpec("registry.k8s.io/pause:3.10.1", entrypoint=("/bin/sh", "-c", SLEEP_LOOP)),
    # Stands in for the tutorial's jweissig/app:0.0.1, which only has to stay up for `kubectl exec ... cat`.
    ImageSpec("localhost/vault-k8s/app:0.0.1", entrypoint=("/bin/sh", "-c", SLEEP_LOOP)),
)


@dataclass(frozen=True)
class BuiltImage:
    reference: str
    path: Path
    digest: str  # the image ID: sha256 of the config JSON, as crictl and `ctr images ls` show it
    cached: bool = False


def default_out_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Beside the toolchain's bin dir: archives are large and outlive the node's state."""
    return cache_bin_dir(environ).parent / "images"


def find_busybox() -> Path:
    found = shutil.which("busybox") or ("/bin/busybox" if Path("/bin/busybox").is_file() else None)
    if found is None:
        raise ImageError("busybox not found: apt-get install busybox-static")
    return Path(found)


def build_all(
    out_dir: Path,
    bindir: Path,
    busybox: Path | None = None,
    images: Sequence[ImageSpec] = IMAGES,
) -> list[BuiltImage]:
    """One archive per image in out_dir; an archive whose inputs are unchanged is kept as it is."""
    missing = sorted({n for spec in images for n in spec.binaries if not (bindir / n).is_file()})
    if missing:
        raise ImageError(f"not in {bindir}: {', '.join(missing)}; build them with localenv/toolchain.sh install")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".build-") as scratch:
        base = Path(scratch) / "base.tar"
        base_id = _write_layer(base_members(busybox or find_busybox()), base)
        return [_build(spec, out_dir, bindir, base, base_id, Path(scratch)) for spec in images]


def import_argv(image: BuiltImage, ctr: Path, address: str, namespace: str = "k8s.io", pin: bool = True) -> list[str]:
    # ctr v2 imports through containerd's transfer service and unpacks for the default platform unless told not to.
    # --label is ctr v2 only (1.6 has no such flag).
    labels = ["--label", PINNED_LABEL] if pin else []
    return [str(ctr), "--address", address, "--namespace", namespace, "images", "import", *labels, str(image.path)]


def import_all(
    images: Iterable[BuiltImage], ctr: Path, address: str, namespace: str = "k8s.io", pin: bool = True
) -> None:
    for image in images:
        argv = import_argv(image, ctr, address, namespace, pin)
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise ImageError(f"importing {image.reference} failed ({done.returncode}): {done.stderr.strip()}")


# --- layers ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One entry of a layer tar, at a path relative to the image's root."""

    kind: Literal["dir", "file", "link"]
    mode: int = 0o755
    uid: int = 0
    gid: int = 0
    data: bytes | Path = b""  # a file's content, or the host file to copy
    target: str = ""  # a symlink's target


def _dir(mode: int = 0o755, owner: int = 0, group: int = 0) -> Member:
    return Member("dir", mode, owner, group)


def _text(content: str, mode: int = 0o644) -> Member:
    return Member("file", mode, data=content.encode())


def busybox_applets(busybox: Path) -> list[str]:
    listed = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout.split()
    return sorted(set(listed) - {"busybox"})


def base_members(busybox: Path) -> dict[str, Member]:
    _require_static(busybox)
    vault_dir = _dir(0o755, VAULT_UID, VAULT_GID)
    members: dict[str, Member] = {
        "bin/busybox": Member("file", 0o755, data=busybox.resolve()),
        "etc/passwd": _text(PASSWD),
        "etc/group": _text(GROUP),
        "etc/nsswitch.conf": _text(NSSWITCH),
        "etc/ssl/certs": _dir(),
        "home/vault": vault_dir,
        "home/nonroot": _dir(0o700, NONROOT, NONROOT),
        "root": _dir(0o700),
        "run": _dir(),
        "var/run": Member("link", 0o777, target="/run"),
        "tmp": _dir(0o1777),
        "vault": vault_dir,
        "vault/config": vault_dir,
        "vault/file": vault_dir,
        "vault/logs": vault_dir,
    }
    for applet in [*busybox_applets(busybox), "sh"]:
        members[f"bin/{applet}"] = Member("link", 0o777, target="busybox")
    return members


def image_members(spec: ImageSpec, bindir: Path) -> dict[str, Member]:
    members: dict[str, Member] = {}
    for item in spec.files:
        path = item.path.lstrip("/")
        match item:
            case Binary():
                source = (bindir / item.name).resolve()
                _require_static(source)
                members[path] = Member("file", 0o755, data=source)
            case Text():
                members[path] = Member("file", item.mode, data=item.content.encode())
            case Symlink():
                members[path] = Member("link", 0o777, target=item.target)
            case Tree():
                if not item.source.is_dir():
                    raise ImageError(f"{item.source} is not a directory (for {spec.reference} {item.path})")
                for source in sorted(item.source.rglob("*")):
                    if source.is_file():
                        members[f"{path}/{source.relative_to(item.source).as_posix()}"] = Member(
                            "file", 0o644, data=source
                        )
    return members


def _with_parents(members: Mapping[str, Member]) -> dict[str, Member]:
    # Parents the caller did not declare are root's 0755 directories, as in the base layer.
    complete = dict(members)
    for name in members:
        parent = Path(name).parent
        while parent != Path("."):
            complete.setdefault(parent.as_posix(), _dir())
            parent = parent.parent
    return complete


def _write_layer(members: Mapping[str, Member], dest: Path) -> str:
    """Writes an uncompressed layer tar; returns its diff ID."""
    complete = _with_parents(members)
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(complete):
            member = complete[name]
            info = tarfile.TarInfo(name)  # mtime 0 and empty user/group names by default
            info.mode, info.uid, info.gid = member.mode, member.uid, member.gid
            if member.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif member.kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, member.target
                tar.addfile(info)
            elif isinstance(member.data, Path):
                info.size = member.data.stat().st_size
                with member.data.open("rb") as source:
                    tar.addfile(info, source)
            else:
                info.size = len(member.data)
                tar.addfile(info, io.BytesIO(member.data))
    return "sha256:" + _sha256_file(dest)


# --- archives --------------------------------------------------------------------------------------------------


def _build(spec: ImageSpec, out_dir: Path, bindir: Path, base: Path, base_id: str, scratch: Path) -> BuiltImage:
    members = image_members(spec, bindir)
    dest = out_dir / spec.archive_name
    stamp = dest.with_name(dest.name + ".stamp")
    inputs = _inputs_key(spec, base_id, members)
    cached = _read_stamp(stamp, dest, inputs)
    if cached is not None:
        return BuiltImage(spec.reference, dest, cached, cached=True)

    layers = [(base_id, base, "base: busybox-static, users, directories")]
    if members:
        own = scratch / f"{spec.archive_name}.layer"
        layers.append((_write_layer(members, own), own, "files: " + " ".join(f.path for f in spec.files)))
    config = _canonical(
        {
            "architecture": ARCHITECTURE,
            "os": "linux",
            "created": EPOCH,
            "config": {
                "Entrypoint": list(spec.entrypoint),
                "Cmd": list(spec.cmd),
                "User": spec.user,
                "Env": list(spec.env),
                "WorkingDir": spec.working_dir,
            },
            "rootfs": {"type": "layers", "diff_ids": [diff_id for diff_id, _, _ in layers]},
            "history": [{"created": EPOCH, "created_by": f"localenv.node.images {what}"} for _, _, what in layers],
        }
    )
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    partial = scratch / spec.archive_name
    _write_archive(partial, spec.reference, config, [(diff_id, path) for diff_id, path, _ in layers])
    os.replace(partial, dest)
    stamp.write_text(json.dumps({"inputs": inputs, "digest": digest, "size": dest.stat().st_size}) + "\n")
    return BuiltImage(spec.reference, dest, digest)


def _write_archive(dest: Path, reference: str, config: bytes, layers: Sequence[tuple[str, Path]]) -> None:
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_names = [diff_id.removeprefix("sha256:") + "/layer.tar" for diff_id, _ in layers]
    manifest = _canonical([{"Config": config_name, "RepoTags": [reference], "Layers": layer_names}])
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, (_, path) in zip(layer_names, layers, strict=True):
            folder = tarfile.TarInfo(name.split("/")[0])
            folder.type, folder.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(folder)
            info = tarfile.TarInfo(name)
            info.mode, info.size = 0o644, path.stat().st_size
            with path.open("rb") as source:
                tar.addfile(info, source)
        for name, data in ((config_name, config), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.mode, info.size = 0o644, len(data)
            tar.addfile(info, io.BytesIO(data))


def _inputs_key(spec: ImageSpec, base_id: str, members: Mapping[str, Member]) -> str:
    files = [
        [
            name,
            m.kind,
            m.mode,
            m.uid,
            m.gid,
            m.target,
            _sha256_file(m.data) if isinstance(m.data, Path) else hashlib.sha256(m.data).hexdigest(),
        ]
        for name, m in sorted(members.items())
    ]
    spec_fields = [spec.reference, spec.entrypoint, spec.cmd, spec.user, spec.env, spec.working_dir]
    return hashlib.sha256(_canonical([FORMAT, ARCHITECTURE, base_id, spec_fields, files])).hexdigest()


def _read_stamp(stamp: Path, archive: Path, inputs: str) -> str | None:
    """The cached image's digest, if the archive on disk was built from these inputs."""
    try:
        recorded = json.loads(stamp.read_text())
        if recorded["inputs"] == inputs and recorded["size"] == archive.stat().st_size:
            return str(recorded["digest"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _sha256_file(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _require_static(path: Path) -> None:
    """A dynamically linked binary fails in these images with a bare `exec ...: no such file or directory`."""
    with path.open("rb") as f:
        header = f.read(64)
        if len(header) < 64 or header[:4] != b"\x7fELF" or header[4] != 2:  # only 64-bit ELF is checked
            return
        order = "<" if header[5] == 1 else ">"
        (phoff,) = struct.unpack_from(order + "Q", header, 0x20)
        entry_size, count = struct.unpack_from(order + "HH", header, 0x36)
        f.seek(phoff)
        table = f.read(entry_size * count)
    pt_interp = 3
    if any(struct.unpack_from(order + "I", table, i * entry_size)[0] == pt_interp for i in range(count)):
        raise ImageError(f"{path} is dynamically linked; rebuild it with CGO_ENABLED=0")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localenv.node.images", description="Build the node's images.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--bindir", type=Path, default=None, help="toolchain bin dir (default: the cache's)")
    parser.add_argument("--busybox", type=Path, default=None, help="a static busybox (default: busybox on PATH)")
    args = parser.parse_args(argv)
    try:
        built = build_all(args.out_dir, args.bindir or cache_bin_dir(), args.busybox)
    except ImageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for image in built:
        size = image.path.stat().st_size / 1e6
        print(f"{image.reference}  {size:.1f} MB  {'cached' if image.cached else 'built'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
