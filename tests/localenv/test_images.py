"""The node's image archives: docker-archive layout, the busybox base layer, reproducibility and the cache, the
import command, and the image table against the pinned charts. Fake binaries and a fake busybox keep it fast."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from localenv.controlplane.paths import REPO_ROOT
from localenv.node import images
from localenv.node.images import (
    IMAGES,
    PATH_ENV,
    VAULT_ENTRYPOINT,
    Binary,
    BuiltImage,
    ImageError,
    ImageSpec,
    Symlink,
    Text,
    Tree,
    build_all,
    import_all,
    import_argv,
)

CHARTS_DATA = REPO_ROOT.parent / "shared" / "charts-data"
VERSIONS_ENV = REPO_ROOT / "localenv" / "versions.env"
APPLETS = ["[", "busybox", "cat", "sleep"]  # `busybox --list` names itself; the base layer must skip it
TOOL = ImageSpec(
    "docker.io/example/tool:1.0",
    entrypoint=("/bin/tool",),
    cmd=("serve", "--port=1"),
    user="100",
    files=(
        Binary("/bin/tool", "tool"),
        Text("/etc/tool.conf", "x=1\n", 0o640),
        Symlink("/usr/bin/tool", "/bin/tool"),
    ),
)
BASE_NAMES = [
    "bin",
    "bin/[",
    "bin/busybox",
    "bin/cat",
    "bin/sh",
    "bin/sleep",
    "etc",
    "etc/group",
    "etc/nsswitch.conf",
    "etc/passwd",
    "etc/ssl",
    "etc/ssl/certs",
    "home",
    "home/nonroot",
    "home/vault",
    "root",
    "run",
    "tmp",
    "var",
    "var/run",
    "vault",
    "vault/config",
    "vault/file",
    "vault/logs",
]


@pytest.fixture
def busybox(tmp_path: Path) -> Path:
    fake = tmp_path / "busybox"
    fake.write_text("#!/bin/sh\nprintf '%s\\n' " + " ".join(f"'{a}'" for a in APPLETS) + "\n")
    fake.chmod(0o755)
    return fake


@pytest.fixture
def bindir(tmp_path: Path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    (directory / "tool").write_bytes(b"tool v1\n")
    return directory


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: (tar.extractfile(m).read() if m.isfile() else b"") for m in tar}  # type: ignore[union-attr]


def _layer(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def _layer_file(data: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.extractfile(name).read()  # type: ignore[union-attr]


def _build(out: Path, bindir: Path, busybox: Path, spec: ImageSpec = TOOL) -> BuiltImage:
    (built,) = build_all(out, bindir, busybox, [spec])
    return built


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_archive_is_docker_save_layout(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    built = _build(tmp_path / "out", bindir, busybox)
    assert built.reference == "docker.io/example/tool:1.0"
    assert built.path == tmp_path / "out" / "docker.io_example_tool_1.0.tar"
    assert not built.cached
    files = _members(built.path)
    manifest = json.loads(files["manifest.json"])
    (entry,) = manifest
    base, own = entry["Layers"]
    assert entry == {"Config": entry["Config"], "RepoTags": ["docker.io/example/tool:1.0"], "Layers": [base, own]}
    assert base == _sha(files[base]) + "/layer.tar"
    assert own == _sha(files[own]) + "/layer.tar"
    assert entry["Config"] == _sha(files[entry["Config"]]) + ".json"
    assert built.digest == "sha256:" + _sha(files[entry["Config"]])
    assert list(files) == [base.split("/")[0], base, own.split("/")[0], own, entry["Config"], "manifest.json"]
    config = json.loads(files[entry["Config"]])
    assert config == {
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {
            "Entrypoint": ["/bin/tool"],
            "Cmd": ["serve", "--port=1"],
            "User": "100",
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "WorkingDir": "/",
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + _sha(files[base]), "sha256:" + _sha(files[own])]},
        "history": [
            {
                "created": "1970-01-01T00:00:00Z",
                "created_by": "localenv.node.images base: busybox-static, users, directories",
            },
            {
                "created": "1970-01-01T00:00:00Z",
                "created_by": "localenv.node.images files: /bin/tool /etc/tool.conf /usr/bin/tool",
            },
        ],
    }


def test_base_layer(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    files = _members(_build(tmp_path / "out", bindir, busybox).path)
    base_name = json.loads(files["manifest.json"])[0]["Layers"][0]
    layer = _layer(files[base_name])
    assert list(layer) == BASE_NAMES
    for name in ("bin/sh", "bin/[", "bin/cat", "bin/sleep"):
        assert layer[name].issym() and layer[name].linkname == "busybox"
    assert layer["var/run"].issym() and layer["var/run"].linkname == "/run"
    assert layer["bin/busybox"].isfile() and layer["bin/busybox"].mode == 0o755
    assert _layer_file(files[base_name], "bin/busybox") == busybox.read_bytes()
    assert _layer_file(files[base_name], "etc/passwd") == (
        b"root:x:0:0:root:/root:/bin/sh\n"
        b"vault:x:100:1000::/home/vault:/bin/sh\n"
        b"nonroot:x:65532:65532:nonroot:/home/nonroot:/bin/nologin\n"
    )
    assert _layer_file(files[base_name], "etc/group") == b"root:x:0:\nvault:x:1000:\nnonroot:x:65532:\n"
    assert _layer_file(files[base_name], "etc/nsswitch.conf") == b"hosts: files dns\n"
    owned = {name: (m.uid, m.gid, m.mode) for name, m in layer.items() if m.uid or m.gid}
    assert owned == {
        "home/nonroot": (65532, 65532, 0o700),
        "home/vault": (100, 1000, 0o755),
        "vault": (100, 1000, 0o755),
        "vault/config": (100, 1000, 0o755),
        "vault/file": (100, 1000, 0o755),
        "vault/logs": (100, 1000, 0o755),
    }
    assert layer["tmp"].isdir() and layer["tmp"].mode == 0o1777
    assert layer["root"].mode == 0o700 and layer["etc/ssl/certs"].isdir()
    assert {(m.mtime, m.uname, m.gname) for m in layer.values()} == {(0, "", "")}


def test_image_layer(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    files = _members(_build(tmp_path / "out", bindir, busybox).path)
    own_name = json.loads(files["manifest.json"])[0]["Layers"][1]
    layer = _layer(files[own_name])
    assert list(layer) == ["bin", "bin/tool", "etc", "etc/tool.conf", "usr", "usr/bin", "usr/bin/tool"]
    assert {n: (m.type, m.mode, m.uid, m.gid) for n, m in layer.items()} == {
        "bin": (tarfile.DIRTYPE, 0o755, 0, 0),
        "bin/tool": (tarfile.REGTYPE, 0o755, 0, 0),
        "etc": (tarfile.DIRTYPE, 0o755, 0, 0),
        "etc/tool.conf": (tarfile.REGTYPE, 0o640, 0, 0),
        "usr": (tarfile.DIRTYPE, 0o755, 0, 0),
        "usr/bin": (tarfile.DIRTYPE, 0o755, 0, 0),
        "usr/bin/tool": (tarfile.SYMTYPE, 0o777, 0, 0),
    }
    assert _layer_file(files[own_name], "bin/tool") == b"tool v1\n"
    assert _layer_file(files[own_name], "etc/tool.conf") == b"x=1\n"
    assert layer["usr/bin/tool"].linkname == "/bin/tool"


def test_symlinked_binary_is_copied_not_linked(tmp_path: Path, busybox: Path) -> None:
    real = tmp_path / "cache" / "tool-1.0" / "tool"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"the real tool\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "tool").symlink_to(real)
    files = _members(_build(tmp_path / "out", bindir, busybox).path)
    own = files[json.loads(files["manifest.json"])[0]["Layers"][1]]
    assert _layer(own)["bin/tool"].isfile()
    assert _layer_file(own, "bin/tool") == b"the real tool\n"


def test_tree_copies_regular_files(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    source = tmp_path / "crds"
    (source / "sub").mkdir(parents=True)
    (source / "b.yaml").write_text("b\n")
    (source / "sub" / "a.yaml").write_text("a\n")
    spec = ImageSpec("localhost/tree:1", entrypoint=("/bin/sh",), files=(Tree("/scripts/crds", source),))
    files = _members(_build(tmp_path / "out", bindir, busybox, spec).path)
    own = files[json.loads(files["manifest.json"])[0]["Layers"][1]]
    layer = _layer(own)
    assert list(layer) == [
        "scripts",
        "scripts/crds",
        "scripts/crds/b.yaml",
        "scripts/crds/sub",
        "scripts/crds/sub/a.yaml",
    ]
    assert layer["scripts/crds/b.yaml"].mode == 0o644
    assert _layer_file(own, "scripts/crds/sub/a.yaml") == b"a\n"


def test_missing_tree_is_an_error(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    spec = ImageSpec("localhost/tree:1", entrypoint=("/bin/sh",), files=(Tree("/scripts/crds", tmp_path / "nope"),))
    expected = f"{tmp_path}/nope is not a directory (for localhost/tree:1 /scripts/crds)"
    with pytest.raises(ImageError, match=re.escape(expected)):
        _build(tmp_path / "out", bindir, busybox, spec)


def test_busybox_only_image_has_one_layer(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    spec = ImageSpec("registry.k8s.io/pause:3.10.1", entrypoint=("/bin/sh", "-c", images.SLEEP_LOOP))
    files = _members(_build(tmp_path / "out", bindir, busybox, spec).path)
    entry = json.loads(files["manifest.json"])[0]
    config = json.loads(files[entry["Config"]])
    assert len(entry["Layers"]) == 1
    assert config["config"]["Entrypoint"] == ["/bin/sh", "-c", images.SLEEP_LOOP]
    assert config["config"]["Cmd"] == [] and config["config"]["User"] == ""


def test_reproducible(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    first = _build(tmp_path / "a", bindir, busybox)
    second = _build(tmp_path / "b", bindir, busybox)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.digest == second.digest


def test_cache_keeps_unchanged_archive(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    out = tmp_path / "out"
    first = _build(out, bindir, busybox)
    before = first.path.stat()
    stamp = json.loads((out / "docker.io_example_tool_1.0.tar.stamp").read_text())
    assert stamp == {"inputs": stamp["inputs"], "digest": first.digest, "size": before.st_size}

    again = _build(out, bindir, busybox)
    assert again == BuiltImage(first.reference, first.path, first.digest, cached=True)
    after = again.path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert sorted(p.name for p in out.iterdir()) == [
        "docker.io_example_tool_1.0.tar",
        "docker.io_example_tool_1.0.tar.stamp",
    ]


def test_cache_rebuilds_on_changed_inputs(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    out = tmp_path / "out"
    first = _build(out, bindir, busybox)
    (bindir / "tool").write_bytes(b"tool v2\n")
    changed_binary = _build(out, bindir, busybox)
    assert not changed_binary.cached and changed_binary.digest != first.digest
    changed_spec = _build(out, bindir, busybox, ImageSpec(**{**TOOL.__dict__, "user": "101"}))
    assert not changed_spec.cached and changed_spec.digest != changed_binary.digest
    (out / "docker.io_example_tool_1.0.tar.stamp").write_text("{not json")
    assert not _build(out, bindir, busybox, ImageSpec(**{**TOOL.__dict__, "user": "101"})).cached


def test_cache_rebuilds_truncated_archive(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    first = _build(tmp_path / "out", bindir, busybox)
    whole = first.path.read_bytes()
    first.path.write_bytes(whole[:1024])
    again = _build(tmp_path / "out", bindir, busybox)
    assert not again.cached and again.path.read_bytes() == whole


def test_missing_binaries_are_named(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    spec = ImageSpec("localhost/x:1", entrypoint=("/b",), files=(Binary("/b", "zeta"), Binary("/a", "alpha")))
    with pytest.raises(ImageError, match=re.escape(f"not in {bindir}: alpha, zeta;")):
        build_all(tmp_path / "out", bindir, busybox, [TOOL, spec])
    assert not (tmp_path / "out").exists()


def _elf(program_type: int) -> bytes:
    # A 64-bit little-endian ELF header with one program header at offset 64.
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    return header + struct.pack("<IIQQQQQQ", program_type, 0, 0, 0, 0, 0, 0, 0)


def test_dynamically_linked_binary_is_refused(tmp_path: Path, bindir: Path, busybox: Path) -> None:
    (bindir / "tool").write_bytes(_elf(1))  # PT_LOAD only: static
    assert not _build(tmp_path / "out", bindir, busybox).cached
    (bindir / "tool").write_bytes(_elf(3))  # PT_INTERP: needs a dynamic loader the image lacks
    with pytest.raises(ImageError, match="tool is dynamically linked; rebuild it with CGO_ENABLED=0"):
        _build(tmp_path / "out", bindir, busybox)


def test_import_argv() -> None:
    image = BuiltImage("docker.io/example/tool:1.0", Path("/images/tool.tar"), "sha256:ab")
    assert import_argv(image, Path("/bin/ctr"), "/run/c.sock") == [
        "/bin/ctr",
        "--address",
        "/run/c.sock",
        "--namespace",
        "k8s.io",
        "images",
        "import",
        "--label",
        "io.cri-containerd.pinned=pinned",
        "/images/tool.tar",
    ]
    assert import_argv(image, Path("/bin/ctr"), "/s", "ns", pin=False)[4:] == [
        "ns",
        "images",
        "import",
        "/images/tool.tar",
    ]


def test_import_all_runs_ctr_per_image(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    ctr = tmp_path / "ctr"
    ctr.write_text(f'#!/bin/sh\necho "$*" >> {log}\ncase "$*" in *bad.tar) echo "no such layer" >&2; exit 3;; esac\n')
    ctr.chmod(0o755)
    good = [BuiltImage(f"localhost/{n}:1", tmp_path / f"{n}.tar", "sha256:0") for n in ("a", "b")]
    import_all(good, ctr, "/s.sock")
    assert log.read_text().splitlines() == [
        f"--address /s.sock --namespace k8s.io images import --label io.cri-containerd.pinned=pinned {tmp_path}/a.tar",
        f"--address /s.sock --namespace k8s.io images import --label io.cri-containerd.pinned=pinned {tmp_path}/b.tar",
    ]
    bad = BuiltImage("localhost/bad:1", tmp_path / "bad.tar", "sha256:0")
    with pytest.raises(ImageError, match=r"importing localhost/bad:1 failed \(3\): no such layer"):
        import_all([bad], ctr, "/s.sock")


# --- the table -------------------------------------------------------------------------------------------------

BINARIES = {
    "vault",
    "vault-k8s",
    "vault-csi-provider",
    "vault-secrets-operator",
    "kube-rbac-proxy",
    "secrets-store-csi-driver",
    "csi-node-driver-registrar",
    "livenessprobe",
    "coredns",
}


def test_table_entrypoints_and_binaries() -> None:
    references = [spec.reference for spec in IMAGES]
    assert len(set(references)) == len(references) == 11
    assert len({spec.archive_name for spec in IMAGES}) == 11
    assert sorted(n for spec in IMAGES for n in spec.binaries) == sorted(BINARIES)
    for spec in IMAGES:
        provided = {"/bin/sh"} | {f.path for f in spec.files}
        assert spec.entrypoint[0].startswith("/"), spec.reference
        assert spec.entrypoint[0] in provided, spec.reference
        assert all(f.path.startswith("/") for f in spec.files), spec.reference
        assert len(spec.binaries) <= 1, spec.reference
        assert spec.env == (PATH_ENV,)


def test_table_values() -> None:
    table = {spec.reference: (spec.entrypoint[0], spec.user, spec.binaries) for spec in IMAGES}
    assert table == {
        "docker.io/hashicorp/vault:1.21.0": ("/usr/local/bin/docker-entrypoint.sh", "100", ("vault",)),
        "docker.io/hashicorp/vault-k8s:1.7.6": ("/bin/vault-k8s", "100", ("vault-k8s",)),
        "docker.io/hashicorp/vault-csi-provider:1.7.4": ("/bin/vault-csi-provider", "", ("vault-csi-provider",)),
        "docker.io/hashicorp/vault-secrets-operator:1.4.1": (
            "/vault-secrets-operator",
            "65532:65532",
            ("vault-secrets-operator",),
        ),
        "quay.io/brancz/kube-rbac-proxy:v0.18.1": (
            "/usr/local/bin/kube-rbac-proxy",
            "65532:65532",
            ("kube-rbac-proxy",),
        ),
        "registry.k8s.io/csi-secrets-store/driver:v1.6.0": ("/secrets-store-csi", "", ("secrets-store-csi-driver",)),
        "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.16.0": (
            "/csi-node-driver-registrar",
            "",
            ("csi-node-driver-registrar",),
        ),
        "registry.k8s.io/sig-storage/livenessprobe:v2.18.0": ("/livenessprobe", "", ("livenessprobe",)),
        "registry.k8s.io/coredns/coredns:v1.12.4": ("/coredns", "", ("coredns",)),
        "registry.k8s.io/pause:3.10.1": ("/bin/sh", "", ()),
        "localhost/vault-k8s/app:0.0.1": ("/bin/sh", "", ()),
    }
    vault = IMAGES[0]
    assert vault.cmd == ("server", "-dev")
    assert Binary("/bin/vault", "vault") in vault.files  # the injector's preStop runs /bin/vault by path
    vso = next(s for s in IMAGES if "vault-secrets-operator" in s.binaries)
    assert Symlink("/scripts/upgrade-crds", "../vault-secrets-operator") in vso.files


def _chart_values(name: str) -> dict[str, object]:
    loaded = yaml.safe_load((CHARTS_DATA / name / "values.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _ref(image: object) -> str:
    assert isinstance(image, dict)
    repository = str(image["repository"])
    if "." not in repository.split("/")[0]:
        repository = "docker.io/" + repository  # how containerd names a Docker Hub image
    return f"{repository}:{image['tag']}"


def _get(values: object, path: str) -> object:
    for key in path.split("."):
        assert isinstance(values, dict)
        values = values[key]
    return values


@pytest.mark.skipif(not CHARTS_DATA.is_dir(), reason="shared chart data not present")
def test_table_holds_the_charts_default_images() -> None:
    wanted = {
        "vault-0.34.1": ["server.image", "injector.image", "injector.agentImage", "csi.image", "csi.agent.image"],
        "secrets-store-csi-driver-1.6.0": ["linux.image", "linux.registrarImage", "linux.livenessProbeImage"],
        "vault-secrets-operator-1.4.1": ["controller.manager.image", "controller.kubeRbacProxy.image"],
    }
    defaults = {_ref(_get(_chart_values(chart), path)) for chart, paths in wanted.items() for path in paths}
    table = {spec.reference for spec in IMAGES}
    # The only default not built: Vault 2.0.4 is not served as a Go module, the stacks set tag 1.21.0.
    assert defaults - table == {"docker.io/hashicorp/vault:2.0.4"}
    assert table - defaults == {
        "docker.io/hashicorp/vault:1.21.0",
        "registry.k8s.io/coredns/coredns:v1.12.4",
        "registry.k8s.io/pause:3.10.1",
        "localhost/vault-k8s/app:0.0.1",
    }


def test_table_tags_match_the_toolchain_versions() -> None:
    versions = dict(
        line.split("=", 1) for line in VERSIONS_ENV.read_text().splitlines() if re.match(r"^[A-Z0-9_]+=", line)
    )
    pins = {
        "vault": "VAULT_VERSION",
        "vault-k8s": "VAULT_K8S_VERSION",
        "vault-csi-provider": "VAULT_CSI_VERSION",
        "vault-secrets-operator": "VSO_VERSION",
        "kube-rbac-proxy": "KUBE_RBAC_PROXY_VERSION",
        "secrets-store-csi-driver": "SECRETS_STORE_CSI_VERSION",
        "csi-node-driver-registrar": "NODE_DRIVER_REGISTRAR_VERSION",
        "livenessprobe": "LIVENESSPROBE_VERSION",
        "coredns": "COREDNS_VERSION",
    }
    tags = {spec.binaries[0]: spec.reference.rsplit(":", 1)[1] for spec in IMAGES if spec.binaries}
    # HashiCorp tags drop the leading v.
    assert {name: "v" + tag.removeprefix("v") for name, tag in tags.items()} == {
        name: versions[var] for name, var in pins.items()
    }


# --- the vault entrypoint script and the real busybox ----------------------------------------------------------


def _shells() -> list[list[str]]:
    found = [["/bin/sh"]]
    if Path("/bin/busybox").is_file():
        found.append(["/bin/busybox", "sh"])  # the shell the image runs it with
    return found


@pytest.mark.parametrize("shell", _shells(), ids=lambda s: s[0])
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["vault", "server", "-dev"], "vault server -dev"),
        (["server"], "vault server -config=/vault/config -dev-root-token-id=root -dev-listen-address=0.0.0.0:8200"),
        (["kv", "get", "secret/x"], "vault kv get secret/x"),
        (["-version"], "vault -version"),
        (["version"], "vault version"),
        (["echo", "plain", "command"], "plain command"),
    ],
)
def test_vault_entrypoint(tmp_path: Path, shell: list[str], args: list[str], expected: str) -> None:
    script = tmp_path / "docker-entrypoint.sh"
    script.write_text(VAULT_ENTRYPOINT)
    fake = tmp_path / "vault"
    # Knows the subcommands `kv`, `server`, `version`: their help names them, as Vault's does.
    fake.write_text(
        '#!/bin/sh\nif [ "$1" = --help ]; then\n  case "$2" in kv|server|version) echo "Usage: vault $2 [options]";;'
        ' *) echo "Usage: vault <command> [args]";; esac\n  exit 0\nfi\necho "vault $*"\n'
    )
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "VAULT_DEV_ROOT_TOKEN_ID": "root"}
    done = subprocess.run([*shell, str(script), *args], env=env, capture_output=True, text=True, timeout=10)
    assert (done.returncode, done.stdout, done.stderr) == (0, expected + "\n", "")


def test_vault_entrypoint_ends_in_exec() -> None:
    assert VAULT_ENTRYPOINT.startswith("#!/bin/sh\n")
    assert VAULT_ENTRYPOINT.endswith('exec "$@"\n')


@pytest.mark.skipif(not Path("/bin/busybox").is_file(), reason="busybox-static not installed")
def test_real_busybox_has_what_the_charts_run() -> None:
    applets = set(images.busybox_applets(Path("/bin/busybox")))
    # vault chart: sh, cp, sed, pidof, kill; injector: base64, sleep; CSI driver: mount, umount; probes: nc, id.
    assert {"sh", "cp", "sed", "pidof", "kill", "base64", "sleep", "mount", "umount", "nc", "id", "cat"} <= applets
    assert "busybox" not in applets
    members = images.base_members(Path("/bin/busybox"))  # refuses a dynamically linked busybox
    assert members["bin/mount"].target == "busybox"


# --- CLI ------------------------------------------------------------------------------------------------------


def test_cli_builds_every_image_then_reuses_them(
    tmp_path: Path, busybox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in BINARIES:
        (bindir / name).write_bytes(f"{name}\n".encode())
    argv = [str(tmp_path / "out"), "--bindir", str(bindir), "--busybox", str(busybox)]
    assert images.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == [spec.reference for spec in IMAGES]
    assert all(re.fullmatch(r"\S+  \d+\.\d MB  built", line) for line in lines), lines
    assert images.main(argv) == 0
    assert all(line.endswith("  cached") for line in capsys.readouterr().out.splitlines())
    os.remove(bindir / "coredns")
    assert images.main(argv) == 1
    assert (
        capsys.readouterr().err == f"error: not in {bindir}: coredns; build them with localenv/toolchain.sh install\n"
    )


def test_default_out_dir() -> None:
    assert images.default_out_dir({"VAULT_K8S_CACHE": "/c"}) == Path("/c/images")
    assert images.default_out_dir({"HOME": "/h"}) == Path("/h/.cache/vault-k8s/images")
