#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317  # hooks are called indirectly
# Builds the binaries the local integration tests need from Go modules, into a
# versioned cache outside the repo, and links them into one bin dir (the CNI
# plugins into their own, for kubelet and containerd).
#
#   toolchain.sh install [engine|cluster|servers|controllers|node ...]   (no group = all; servers: Vault, and
#                                                           Debian's postgresql package if missing; node: also
#                                                           Debian's runc, busybox-static, iptables, conntrack
#                                                           and nftables if missing)
#   toolchain.sh bindir                                     print the bin dir
#   toolchain.sh cnibindir                                  print the CNI plugins' bin dir (kubelet, containerd)
#   toolchain.sh check [GROUP...]                           fail naming missing binaries
#   toolchain.sh pin NAME...                                regenerate localenv/go/NAME/go.{mod,sum}
#
# Cache root: ${VAULT_K8S_CACHE:-$HOME/.cache/vault-k8s}. Go's module and build
# caches stay at Go's defaults. Releases the module proxy refuses are built from
# the source tarballs in ${VAULT_K8S_UPSTREAM:-<repo>/../shared/upstream}.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1091  # followed with shellcheck -x
source "$HERE/versions.env"

CACHE=${VAULT_K8S_CACHE:-$HOME/.cache/vault-k8s}
BIN=$CACHE/bin
CNI_BIN=$CACHE/cni/bin
WRAP=$HERE/go
UPSTREAM=${VAULT_K8S_UPSTREAM:-$(cd "$HERE/../.." && pwd)/shared/upstream}

# Wrapper modules carry their own go.mod/go.sum; never pick up a workspace,
# never switch toolchains behind our back, and build static binaries.
export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

ALL_GROUPS=(cluster engine servers controllers node)
GROUP_cluster=(etcd kube-apiserver kube-controller-manager)
GROUP_engine=(pulumi pulumi-language-python pulumi-resource-kubernetes pulumi-resource-vault)
GROUP_servers=(vault)
GROUP_controllers=(vault-secrets-operator vault-k8s vault-csi-provider csi-mount)
# CNI plugins are linked into $CNI_BIN instead of $BIN.
CNI_PLUGINS=(bridge host-local loopback portmap)
GROUP_node=(kubelet kube-proxy kube-scheduler containerd containerd-shim-runc-v2 ctr "${CNI_PLUGINS[@]}"
  coredns secrets-store-csi-driver csi-node-driver-registrar livenessprobe kube-rbac-proxy)
# Debian packages the node group installs if missing (runc is linked into $BIN).
NODE_PACKAGES=(runc busybox-static iptables conntrack nftables)
# Names expected in $BIN, or $CNI_BIN for the CNI plugins (the exec script comes with the
# language host, runc with the node group).
ALL_BINS=(pulumi pulumi-language-python pulumi-language-python-exec
  pulumi-resource-kubernetes pulumi-resource-vault
  etcd kube-apiserver kube-controller-manager vault
  vault-secrets-operator vault-k8s vault-csi-provider csi-mount
  "${GROUP_node[@]}" runc)

log() { printf '[toolchain] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

k8s_minor() { local v=${KUBERNETES_VERSION#v}; v=${v#*.}; echo "${v%%.*}"; }
is_cni() { [[ " ${CNI_PLUGINS[*]} " == *" $1 "* ]]; }

# --- per-binary facts --------------------------------------------------------
# Each binary: cache dir (relative to $CACHE), main package, module@version it
# comes from (or SRC, the ../shared/upstream tarball it is built from), and
# extra ldflags; optional build tags, VENDOR=1 (build SRC with -mod=vendor),
# LOCALMOD=module=tarball (a dependency the proxy refuses, replaced with the
# ../shared/upstream tarball's folder) and the dir it is linked into.
# shellcheck disable=SC2153  # the pins come from versions.env
spec() {
  local name=$1
  DIR='' PKG='' MOD='' VER='' SRC='' LDFLAGS='' PREP_FN='' POST_FN='' SHOW=
  TAGS='' VENDOR='' LOCALMOD='' LINKDIR=$BIN
  case $name in
    etcd)
      DIR=etcd-$ETCD_VERSION MOD=go.etcd.io/etcd/server/v3 VER=$ETCD_VERSION PKG=$MOD ;;
    kube-apiserver | kube-controller-manager | kubelet | kube-proxy | kube-scheduler)
      DIR=kubernetes-$KUBERNETES_VERSION MOD=k8s.io/kubernetes VER=$KUBERNETES_VERSION
      PKG=k8s.io/kubernetes/cmd/$name
      LDFLAGS="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
      LDFLAGS+=" -X k8s.io/component-base/version.gitMajor=1"
      LDFLAGS+=" -X k8s.io/component-base/version.gitMinor=$(k8s_minor)"
      LDFLAGS+=" -X k8s.io/component-base/version.gitTreeState=clean" ;;
    pulumi)
      DIR=pulumi-$PULUMI_VERSION MOD=github.com/pulumi/pulumi/pkg/v3 VER=$PULUMI_VERSION
      PKG=$MOD/cmd/pulumi
      LDFLAGS="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" ;;
    pulumi-language-python)
      # Local main package (see its main.go) on the released sdk/v3.
      DIR=pulumi-$PULUMI_VERSION MOD=github.com/pulumi/pulumi/sdk/v3 VER=$PULUMI_VERSION PKG=.
      POST_FN=post_language_python
      LDFLAGS="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" ;;
    pulumi-resource-kubernetes)
      DIR=pulumi-resource-kubernetes-$PULUMI_K8S_VERSION MOD=github.com/pulumi/pulumi-kubernetes/provider/v4
      VER=$PULUMI_K8S_PSEUDO PKG=$MOD/cmd/$name PREP_FN=prep_kubernetes SHOW=$PULUMI_K8S_VERSION
      LDFLAGS="-X $MOD/pkg/version.Version=$PULUMI_K8S_VERSION" ;;
    pulumi-resource-vault)
      # Local main package (see its main.go) bridging the upstream provider.
      DIR=pulumi-resource-vault-$PULUMI_VAULT_VERSION MOD=github.com/hashicorp/terraform-provider-vault
      VER=$TPV_PSEUDO PKG=. LDFLAGS="-X main.Version=$PULUMI_VAULT_VERSION" SHOW=$PULUMI_VAULT_VERSION ;;
    vault)
      DIR=vault-$VAULT_VERSION MOD=github.com/hashicorp/vault VER=$VAULT_VERSION PKG=$MOD
      LDFLAGS="-X $MOD/version.GitCommit=$VAULT_GIT_COMMIT -X $MOD/version.BuildDate=$VAULT_BUILD_DATE" ;;
    vault-secrets-operator)
      DIR=vault-secrets-operator-$VSO_VERSION SRC=vault-secrets-operator-${VSO_VERSION#v} VER=$VSO_VERSION PKG=.
      LDFLAGS="-X github.com/hashicorp/vault-secrets-operator/internal/version.GitVersion=$VSO_VERSION" ;;
    vault-k8s)
      DIR=vault-k8s-$VAULT_K8S_VERSION SRC=vault-k8s-${VAULT_K8S_VERSION#v} VER=$VAULT_K8S_VERSION PKG=.
      LDFLAGS="-X github.com/hashicorp/vault-k8s/version.Version=$VAULT_K8S_VERSION" ;;
    vault-csi-provider)
      DIR=vault-csi-provider-$VAULT_CSI_VERSION SRC=vault-csi-provider-${VAULT_CSI_VERSION#v} VER=$VAULT_CSI_VERSION PKG=.
      LDFLAGS="-X github.com/hashicorp/vault-csi-provider/internal/version.GitVersion=$VAULT_CSI_VERSION" ;;
    csi-mount)
      # Local main package (see its main.go) on the driver's provider API.
      DIR=csi-mount-$SECRETS_STORE_CSI_VERSION MOD=sigs.k8s.io/secrets-store-csi-driver VER=$SECRETS_STORE_CSI_VERSION PKG=. ;;
    containerd | containerd-shim-runc-v2 | ctr)
      DIR=containerd-$CONTAINERD_VERSION MOD=github.com/containerd/containerd/v2 VER=$CONTAINERD_VERSION
      PKG=$MOD/cmd/$name TAGS=no_btrfs,no_devmapper LDFLAGS="-X $MOD/version.Version=$CONTAINERD_VERSION" ;;
    bridge | host-local | loopback | portmap)
      local kind=main
      [[ $name != host-local ]] || kind=ipam
      [[ $name != portmap ]] || kind=meta
      DIR=cni-plugins-$CNI_PLUGINS_VERSION MOD=github.com/containernetworking/plugins VER=$CNI_PLUGINS_VERSION
      PKG=$MOD/plugins/$kind/$name LINKDIR=$CNI_BIN
      LDFLAGS="-X $MOD/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION" ;;
    coredns)
      # Its version is a constant (coremain.CoreVersion); the commit is stamped.
      DIR=coredns-$COREDNS_VERSION MOD=github.com/coredns/coredns VER=$COREDNS_VERSION PKG=$MOD
      LDFLAGS="-X $MOD/coremain.GitCommit=${COREDNS_GIT_COMMIT:0:7}" ;;
    secrets-store-csi-driver)
      DIR=secrets-store-csi-driver-$SECRETS_STORE_CSI_VERSION MOD=sigs.k8s.io/secrets-store-csi-driver
      VER=$SECRETS_STORE_CSI_VERSION PKG=$MOD/cmd/$name PREP_FN=prep_localmod LOCALMOD=monis.app/mlog=mlog-${MLOG_VERSION#v}
      LDFLAGS="-X $MOD/pkg/version.BuildVersion=$SECRETS_STORE_CSI_VERSION -X $MOD/pkg/version.Vcs=$SECRETS_STORE_CSI_COMMIT" ;;
    csi-node-driver-registrar)
      DIR=node-driver-registrar-$NODE_DRIVER_REGISTRAR_VERSION SRC=node-driver-registrar-${NODE_DRIVER_REGISTRAR_VERSION#v}
      VER=$NODE_DRIVER_REGISTRAR_VERSION PKG=./cmd/$name VENDOR=1 LDFLAGS="-X main.version=$NODE_DRIVER_REGISTRAR_VERSION" ;;
    livenessprobe)
      # No version variable in its main package (upstream's -X main.version is a no-op here).
      DIR=livenessprobe-$LIVENESSPROBE_VERSION SRC=livenessprobe-${LIVENESSPROBE_VERSION#v}
      VER=$LIVENESSPROBE_VERSION PKG=./cmd/$name VENDOR=1 ;;
    kube-rbac-proxy)
      DIR=kube-rbac-proxy-$KUBE_RBAC_PROXY_VERSION MOD=github.com/brancz/kube-rbac-proxy VER=$KUBE_RBAC_PROXY_VERSION
      PKG=$MOD/cmd/$name
      LDFLAGS="-X k8s.io/component-base/version.gitVersion=$KUBE_RBAC_PROXY_VERSION"
      LDFLAGS+=" -X k8s.io/component-base/version.gitCommit=$KUBE_RBAC_PROXY_GIT_COMMIT"
      LDFLAGS+=" -X k8s.io/component-base/version/verflag.programName=$name" ;;
    *) die "unknown binary $name" ;;
  esac
}

# --- pin: regenerate a wrapper module -----------------------------------------
gomod_of() { go list -m -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])'; }

# Repeat an upstream go.mod's replaces that point at other modules (forks);
# replaces to local paths only make sense inside the upstream repo.
copy_remote_replaces() { # GOMOD_FILE (run inside the wrapper dir)
  local r
  for r in $(go mod edit -json "$1" | python3 -c '
import json, sys
m = json.load(sys.stdin)
for r in m.get("Replace") or []:
    new = r["New"]
    if "Version" not in new:
        continue
    old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
    print(old + "=" + new["Path"] + "@" + new["Version"])
'); do
    go mod edit -replace "$r"
  done
}

pin_init() {
  local name=$1 dir=$WRAP/$1
  mkdir -p "$dir"
  rm -f "$dir/go.mod" "$dir/go.sum" "$dir/tools.go"
  # Lowest Go with tool directives; dependencies raise it as needed.
  (cd "$dir" && go mod init "localenv/$name" >/dev/null 2>&1 && go mod edit -go=1.24)
}

pin() {
  local name=$1 dir=$WRAP/$1
  spec "$name"
  [[ -z $SRC ]] || die "$name is built from $UPSTREAM/$SRC.tar.gz; nothing to pin"
  log "pinning $name to $MOD@$VER"
  pin_init "$name"
  local localmod=''
  if [[ -n $LOCALMOD ]]; then
    # Resolve the refused dependency from its tarball while pinning; the replace
    # is dropped again (the build adds one to the cache, see prep_localmod).
    localmod=$(mktemp -d)
    tar -xzf "$UPSTREAM/${LOCALMOD#*=}.tar.gz" -C "$localmod"
    (cd "$dir" && go mod edit -replace "${LOCALMOD%%=*}=$localmod/${LOCALMOD#*=}")
  fi
  case $name in
    etcd)
      (cd "$dir" && go get -tool "$PKG@$VER" && go get \
        "go.etcd.io/etcd/api/v3@$VER" "go.etcd.io/etcd/client/pkg/v3@$VER" \
        "go.etcd.io/etcd/client/v3@$VER" "go.etcd.io/etcd/pkg/v3@$VER") ;;
    kube-apiserver | kube-controller-manager | kubelet | kube-proxy | kube-scheduler)
      # Every staging module k8s.io/kubernetes replaces with ./staging/... is
      # published as k8s.io/<m> v0.<minor>.<patch>.
      local stag=v0.${KUBERNETES_VERSION#v1.} m upstream
      upstream=$(cd "$dir" && gomod_of "$MOD@$VER")
      while read -r m; do
        (cd "$dir" && go mod edit -replace "$m=$m@$stag")
      done < <(sed -nE 's#^[[:space:]]*(replace[[:space:]]+)?(k8s\.io/[^[:space:]]+)[[:space:]]+=>[[:space:]]+\./staging/.*#\2#p' "$upstream")
      (cd "$dir" && go get -tool "$PKG@$VER") ;;
    pulumi)
      (cd "$dir" && copy_remote_replaces "$(gomod_of "$MOD@$VER")" &&
        go get -tool "$PKG@$VER" && go get "github.com/pulumi/pulumi/sdk/v3@$VER") ;;
    pulumi-language-python | csi-mount)
      (cd "$dir" && go get "$MOD@$VER") ;;
    pulumi-resource-kubernetes)
      # The provider replaces its own sdk/v4 with ../sdk; the required tag is published.
      (cd "$dir" && copy_remote_replaces "$(gomod_of "$MOD@$VER")" && go get -tool "$PKG@$VER") ;;
    pulumi-resource-vault)
      local tmp
      tmp=$(mktemp -d)
      python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "pulumi-vault==$PULUMI_VAULT_VERSION"
      python3 "$HERE/generate/vault_sdk_tokens.py" "$tmp"/pulumi_vault-*.whl "$dir/sdk-tokens.json"
      rm -rf "$tmp"
      (cd "$dir" &&
        go mod edit -replace "github.com/hashicorp/terraform-plugin-sdk/v2=github.com/pulumi/terraform-plugin-sdk/v2@$TF_PLUGIN_SDK_FORK" \
          -exclude "github.com/moby/moby@v28.3.3+incompatible" &&
        go get "$MOD@$VER" "github.com/pulumi/pulumi-terraform-bridge/v3@$PULUMI_TF_BRIDGE_VERSION") ;;
    *)
      (cd "$dir" && copy_remote_replaces "$(gomod_of "$MOD@$VER")" && go get -tool "$PKG@$VER") ;;
  esac
  (cd "$dir" && go mod tidy)
  if [[ -n $localmod ]]; then
    (cd "$dir" && go mod edit -dropreplace "${LOCALMOD%%=*}")
    rm -rf "$localmod"
  fi
}

# --- generated embed files ---------------------------------------------------
# Providers embed files that are gitignored upstream, so the module zip lacks
# them, and go refuses -overlay into the module cache. So build against a
# writable copy of the module in the cache, through a copy of the wrapper's
# go.mod that replaces the module with it. Prints extra `go build` flags.
module_dir() { # run in wrapper dir
  go mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Dir"]) if "Dir" in d else sys.exit(d.get("Error","no Dir"))'
}

prep_kubernetes() {
  local name=$1 w=$WRAP/$1 moddir src build=$CACHE/$DIR/build
  moddir=$(cd "$w" && module_dir "$MOD")
  src=$build/src
  rm -rf "$build"
  mkdir -p "$build"
  cp -r "$moddir" "$src"
  chmod -R u+w "$src"
  python3 "$HERE/generate/embed_json.py" schema "$src/cmd/$name/schema.json" "$src/cmd/$name/schema-embed.json" "$PULUMI_K8S_VERSION"
  python3 "$HERE/generate/embed_json.py" compact "$src/cmd/$name/terraform-mapping.json" "$src/cmd/$name/terraform-mapping-embed.json"
  cp "$w/go.mod" "$build/go.mod"
  cp "$w/go.sum" "$build/go.sum"
  go mod edit -replace "$MOD=$src" "$build/go.mod"
  echo "-modfile=$build/go.mod"
}

# A dependency the module proxy refuses: unpack its ../shared/upstream tarball
# into the cache and build through a copy of the wrapper's go.mod that replaces
# the module with that folder (go.sum needs no entry for a folder).
prep_localmod() {
  local name=$1 build=$CACHE/$DIR/build mod=${LOCALMOD%%=*} src=${LOCALMOD#*=}
  [[ -f $UPSTREAM/$src.tar.gz ]] || die "missing $UPSTREAM/$src.tar.gz (the upstream source releases live in ../shared/upstream)"
  rm -rf "$build"
  mkdir -p "$build"
  tar -xzf "$UPSTREAM/$src.tar.gz" -C "$build"
  [[ -f $build/$src/go.mod ]] || die "$UPSTREAM/$src.tar.gz has no $src/go.mod"
  cp "$WRAP/$name/go.mod" "$build/go.mod"
  cp "$WRAP/$name/go.sum" "$build/go.sum"
  go mod edit -replace "$mod=$build/$src" "$build/go.mod"
  echo "-modfile=$build/go.mod"
}

# The CLI runs the language host found next to its own real path, and the host
# runs this script from next to its own real path: keep all three together.
post_language_python() { # NAME OUTDIR
  local out=$2 dst=$2/pulumi-language-python-exec src
  if [[ ! -x $dst ]]; then
    src=$(cd "$WRAP/$1" && module_dir "$MOD")/python/cmd/pulumi-language-python-exec
    cp "$src" "$dst.tmp" && chmod 0755 "$dst.tmp" && mv -f "$dst.tmp" "$dst"
  fi
  link pulumi-language-python-exec "$dst"
}

# --- install -----------------------------------------------------------------
link() { # link NAME TARGET_ABS [DIR, default $BIN]
  local dir=${3:-$BIN} rel up=../
  rel=${dir#"$CACHE"/}
  while [[ $rel == */* ]]; do up+=../; rel=${rel#*/}; done
  mkdir -p "$dir"
  ln -sfn "$up${2#"$CACHE"/}" "$dir/$1"
}

# The toolchain is part of the stamp; set once by install.
GO_VERSION=

stamp_of() { # wrapper files (or the source tarball) + build inputs
  local w=$WRAP/$1
  {
    if [[ -n $SRC ]]; then cat "$UPSTREAM/$SRC.tar.gz"; else cat "$w/go.mod" "$w/go.sum" "$w"/*.go "$w"/*.json 2>/dev/null; fi
    [[ $PREP_FN != prep_kubernetes ]] || cat "$HERE"/generate/*.py
    [[ -z $LOCALMOD ]] || cat "$UPSTREAM/${LOCALMOD#*=}.tar.gz"
    echo "$PKG|$LDFLAGS|$GO_VERSION${TAGS:+|tags=$TAGS}"
  } | sha256sum | cut -d' ' -f1
}

# Unpack an upstream source tarball (top folder $SRC/) into the cache; prints the
# folder to build in. Its own go.mod and go.sum pin the dependencies.
prep_upstream() {
  local tarball=$UPSTREAM/$SRC.tar.gz build=$CACHE/$DIR/build
  [[ -f $tarball ]] || die "missing $tarball (the upstream source releases live in ../shared/upstream)"
  rm -rf "$build"
  mkdir -p "$build"
  tar -xzf "$tarball" -C "$build"
  [[ -f $build/$SRC/go.mod ]] || die "$tarball has no $SRC/go.mod"
  echo "$build/$SRC"
}

# A pulumi CLI the user installed (outside this cache) wins over building one.
# Its own distribution ships pulumi-language-python next to it, which is the
# host that CLI runs; ours is still built and linked for callers of $BIN.
# VAULT_K8S_BUILD_PULUMI=1 forces the build.
user_pulumi() {
  [[ ${VAULT_K8S_BUILD_PULUMI:-0} != 1 ]] || return 1
  local p real d
  for d in ${PATH//:/ }; do
    [[ $d != "$BIN" ]] || continue
    p=$d/pulumi
    [[ -x $p && ! -d $p ]] || continue
    real=$(readlink -f "$p")
    [[ $real == "$CACHE"/* ]] && continue
    echo "$p"
    return 0
  done
  return 1
}

build_one() {
  local name=$1 up
  if [[ $name == pulumi ]] && up=$(user_pulumi); then
    mkdir -p "$BIN"
    ln -sfn "$up" "$BIN/pulumi"
    log "ok pulumi (using $up)"
    return
  fi
  spec "$name"
  local out=$CACHE/$DIR/bin w=$WRAP/$name st
  if [[ -n $SRC ]]; then
    [[ -f $UPSTREAM/$SRC.tar.gz ]] || die "missing $UPSTREAM/$SRC.tar.gz (the upstream source releases live in ../shared/upstream)"
  else
    [[ -f $w/go.mod ]] || die "missing $w/go.mod (run: $0 pin $name)"
    grep -qE "^[[:space:]]*(require[[:space:]]+)?${MOD//./\\.} ${VER//./\\.}( |$)" "$w/go.mod" ||
      die "$w/go.mod does not require $MOD $VER (run: $0 pin $name)"
  fi
  st=$(stamp_of "$name")
  if [[ -x $out/$name && -f $out/.$name.stamp && $(<"$out/.$name.stamp") == "$st" ]]; then
    link "$name" "$out/$name" "$LINKDIR"
    [[ -z $POST_FN ]] || "$POST_FN" "$name" "$out"
    log "ok $name (cached)"
    return
  fi
  log "building $name ${SHOW:-$VER}${SRC:+ from $SRC.tar.gz} ..."
  mkdir -p "$out"
  local t0=$SECONDS args=(-C "$w" -trimpath -pgo=off -ldflags "-s -w $LDFLAGS")
  [[ -z $TAGS ]] || args+=(-tags "$TAGS")
  if [[ -n $SRC ]]; then
    local srcdir
    srcdir=$(prep_upstream)
    args=(-C "$srcdir" "${args[@]:2}")
    [[ -z $VENDOR ]] || args+=(-mod=vendor)
  elif [[ -n $PREP_FN ]]; then
    local extra # one build flag
    extra=$("$PREP_FN" "$name")
    args+=("$extra")
  fi
  go build "${args[@]}" -o "$out/.$name.tmp" "$PKG"
  mv -f "$out/.$name.tmp" "$out/$name"
  link "$name" "$out/$name" "$LINKDIR"
  [[ -z $POST_FN ]] || "$POST_FN" "$name" "$out"
  [[ -z $PREP_FN$SRC ]] || rm -rf "$CACHE/$DIR/build"
  echo "$st" >"$out/.$name.stamp"
  local dt=$((SECONDS - t0))
  printf '%s %s %s %ds\n' "$(date -u +%FT%TZ)" "$name" "${SHOW:-$VER}" "$dt" >>"$CACHE/build-times.log"
  log "built $name ${SHOW:-$VER} in $((dt / 60))m$((dt % 60))s"
}

valid_group() { [[ " ${ALL_GROUPS[*]} " == *" $1 "* ]] || die "unknown group $1 (groups: ${ALL_GROUPS[*]})"; }

members_of() { # GROUP -> names, one per line
  case $1 in
    cluster) printf '%s\n' "${GROUP_cluster[@]}" ;;
    engine) printf '%s\n' "${GROUP_engine[@]}" ;;
    servers) printf '%s\n' "${GROUP_servers[@]}" ;;
    controllers) printf '%s\n' "${GROUP_controllers[@]}" ;;
    node) printf '%s\n' "${GROUP_node[@]}" ;;
    *) die "unknown group $1 (groups: ${ALL_GROUPS[*]})" ;;
  esac
}

# The control plane's PostgreSQL is Debian's package, not a Go build: install it once if it is missing, with
# services kept from starting (policy-rc.d), so no system cluster listens anywhere.
ensure_postgres() {
  local pg
  if compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    pg=(/usr/lib/postgresql/*/bin/postgres)
    log "postgresql: ${pg[-1]} (Debian package)"
    return
  fi
  if ! command -v apt-get >/dev/null || ((EUID != 0)); then
    die "PostgreSQL is missing: install Debian's postgresql package (apt-get install postgresql)"
  fi
  log "postgresql: installing Debian's package (services not started)"
  apt_install postgresql
}

apt_install() { # PACKAGE... with services kept from starting (policy-rc.d)
  local guard=/usr/sbin/policy-rc.d added=0
  if [[ ! -e $guard ]]; then printf '#!/bin/sh\nexit 101\n' >"$guard"; chmod +x "$guard"; added=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 || {
    ((added)) && rm -f "$guard"; die "apt-get install $* failed"; }
  ((added)) && rm -f "$guard"
  return 0
}

# The node runs Debian's runc (linked into $BIN, so the node finds everything in
# one dir), busybox-static (image base layers), iptables, conntrack (kube-proxy)
# and nftables: install the missing ones once, the way ensure_postgres does.
ensure_node_packages() {
  local p missing=()
  for p in "${NODE_PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *" ok installed" ]] || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if ! command -v apt-get >/dev/null || ((EUID != 0)); then
      die "missing Debian packages for the node: ${missing[*]} (apt-get install ${missing[*]})"
    fi
    log "node: installing Debian's ${missing[*]} (services not started)"
    apt_install "${missing[@]}"
  else
    log "node: ${NODE_PACKAGES[*]} (Debian packages)"
  fi
  [[ -x /usr/sbin/runc ]] || die "Debian's runc package did not provide /usr/sbin/runc"
  mkdir -p "$BIN"
  ln -sfn /usr/sbin/runc "$BIN/runc"
}

install_groups() {
  local groups=("$@") g n names
  ((${#groups[@]})) || groups=("${ALL_GROUPS[@]}")
  [[ " ${groups[*]} " != *" servers "* ]] || ensure_postgres
  [[ " ${groups[*]} " != *" node "* ]] || ensure_node_packages
  command -v go >/dev/null || die "go not found on PATH"
  GO_VERSION=$(go env GOVERSION)
  mkdir -p "$CACHE" "$BIN"
  # One install at a time per cache (builds share scratch dirs).
  exec 9>"$CACHE/.lock"
  flock 9
  for g in "${groups[@]}"; do valid_group "$g"; done
  for g in "${groups[@]}"; do
    names=$(members_of "$g")
    for n in $names; do
      build_one "$n"
    done
  done
}

check() { # [GROUP...] -> non-zero naming missing binaries
  local names=() missing=() missing_cni=() cni=0 g n
  if (($#)); then
    for g in "$@"; do
      valid_group "$g"
      mapfile -t -O "${#names[@]}" names < <(members_of "$g")
      [[ $g != engine ]] || names+=(pulumi-language-python-exec)
      [[ $g != node ]] || names+=(runc)
    done
  else
    names=("${ALL_BINS[@]}")
  fi
  for n in "${names[@]}"; do
    if is_cni "$n"; then
      cni=$((cni + 1))
      [[ -x $CNI_BIN/$n ]] || missing_cni+=("$n")
    else
      [[ -x $BIN/$n ]] || missing+=("$n")
    fi
  done
  ((${#missing[@]} == 0)) || log "missing in $BIN: ${missing[*]}"
  ((${#missing_cni[@]} == 0)) || log "missing in $CNI_BIN: ${missing_cni[*]}"
  ((${#missing[@]} + ${#missing_cni[@]} == 0)) || return 1
  if ((cni)); then
    log "all ${#names[@]} binaries present: $((${#names[@]} - cni)) in $BIN, $cni CNI plugins in $CNI_BIN"
  else
    log "all ${#names[@]} binaries present in $BIN"
  fi
}

main() {
  local cmd=${1:-install}
  shift || true
  case $cmd in
    install) install_groups "$@" ;;
    bindir) echo "$BIN" ;;
    cnibindir) echo "$CNI_BIN" ;;
    check) check "$@" ;;
    pin) (($#)) || die "usage: $0 pin NAME..."; for n in "$@"; do pin "$n"; done ;;
    *) die "unknown command $cmd (install|bindir|cnibindir|check|pin)" ;;
  esac
}

# Everything above only defines functions, so editing this file while an
# install runs cannot change the running one.
main "$@"; exit $?
