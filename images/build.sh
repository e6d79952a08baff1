#!/usr/bin/env bash
# Build gc-hub's container images. Run from the repository root:
#
#   images/build.sh [base|workstation|training|examples|importer|all]     (default: all)
#
#   examples: the example algorithm and evaluation (images/examples/), built as
#             ${GC_IMAGE_PREFIX}/example-algorithm:latest and .../example-evaluation:latest
#   importer: the sandboxed image importer (images/importer/), built as
#             ${GC_IMAGE_PREFIX}/importer:latest; workers need it to import uploads
#   pack-base: the base that grand-challenge's challenge packs build on here (images/pack-base/)
#
# Settings (environment):
#   GC_IMAGE_PREFIX     image name prefix                      (default: gc-hub)
#   GC_BASE_SOURCE      debootstrap | upstream                 (default: debootstrap)
#                         debootstrap: make a Debian rootfs with mmdebstrap (no registry needed)
#                         upstream:    FROM python:3.11-slim-bookworm (needs a registry)
#   GC_DEBIAN_MIRROR    Debian mirror for mmdebstrap and apt   (default: http://deb.debian.org/debian)
#   GC_DEBIAN_SECURITY_MIRROR  security updates for the rootfs   (default: the mirror's
#                       sibling ...-security, e.g. http://deb.debian.org/debian-security;
#                       "none" to leave them out)
#   GC_EXTRA_CA_BUNDLE  PEM file of extra CA certificates to trust during builds and in the
#                       images (TLS-inspecting proxies); unset = none
#   DOCKER_BUILDKIT     defaults to 0 here (the legacy builder, what the images are tested with)
#
# Docker's build cache is reused: a second run with nothing changed takes seconds.
# The rootfs image ${GC_IMAGE_PREFIX}/debian-rootfs:bookworm is made only when missing;
# remove it (docker rmi) to refresh Debian packages.
set -euo pipefail

usage() {
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
}

die() { echo "build.sh: error: $*" >&2; exit 1; }
say() { echo "build.sh: $*"; }

target="${1:-all}"
case "$target" in
    base|workstation|training|examples|importer|pack-base|all) ;;
    -h|--help|help) usage; exit 0 ;;
    *) usage >&2; die "unknown target '$target' (expected base, workstation, training, examples, importer, pack-base or all)" ;;
esac
[ $# -le 1 ] || die "too many arguments: $*"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
cd "$repo_root"

prefix="${GC_IMAGE_PREFIX:-gc-hub}"
base_source="${GC_BASE_SOURCE:-debootstrap}"
mirror="${GC_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${GC_DEBIAN_SECURITY_MIRROR:-${mirror%/}-security}"
extra_ca="${GC_EXTRA_CA_BUNDLE:-}"
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"

rootfs_image="$prefix/debian-rootfs:bookworm"
base_image="$prefix/base:bookworm"
upstream_image="python:3.11-slim-bookworm"

build_dir="$script_dir/.build"
log_dir="$build_dir/logs"
mkdir -p "$log_dir"

case "$base_source" in
    debootstrap|upstream) ;;
    *) die "GC_BASE_SOURCE must be 'debootstrap' or 'upstream', not '$base_source'" ;;
esac

# --- Docker engine ----------------------------------------------------------
command -v docker >/dev/null 2>&1 \
    || die "the docker command is not installed (Debian: apt-get install docker.io)"
if ! docker_err="$(docker info 2>&1 >/dev/null)"; then
    echo "build.sh: error: no Docker engine answers (docker info failed)." >&2
    echo "build.sh:   start one with 'sudo dockerd &' or 'sudo systemctl start docker', then run this again." >&2
    echo "build.sh:   docker said: $(printf '%s' "$docker_err" | tail -n 1)" >&2
    exit 1
fi

# --- Extra CA bundle -> images/.build/extra-ca.pem ---------------------------
# Written only when its content changes, so Docker's cache for the COPY holds.
# Only the CERTIFICATE blocks are kept (CRLF line ends dropped): anything else in
# the file, a private key say, must not end up in an image layer.
ca_tmp="$(mktemp)"
rootfs_tmp=""
trap 'rm -f "$ca_tmp"; [ -z "$rootfs_tmp" ] || rm -rf "$rootfs_tmp"' EXIT
if [ -n "$extra_ca" ]; then
    [ -f "$extra_ca" ] && [ -r "$extra_ca" ] || die "GC_EXTRA_CA_BUNDLE=$extra_ca is not a readable file"
    tr -d '\r' < "$extra_ca" | awk '
        /^-----BEGIN CERTIFICATE-----/ { inside = 1 }
        inside { print }
        /^-----END CERTIFICATE-----/ { inside = 0 }' > "$ca_tmp"
    ca_count="$(grep -c -- '-----BEGIN CERTIFICATE-----' "$ca_tmp" || true)"
    [ "$ca_count" -gt 0 ] \
        || die "GC_EXTRA_CA_BUNDLE=$extra_ca holds no PEM certificate ('-----BEGIN CERTIFICATE-----'); convert DER with: openssl x509 -inform der -in FILE -out FILE.pem"
    ca_note="extra CA bundle: $extra_ca ($ca_count certificates)"
else
    ca_note="extra CA bundle: none (set GC_EXTRA_CA_BUNDLE behind a TLS-inspecting proxy)"
fi
if ! cmp -s "$ca_tmp" "$build_dir/extra-ca.pem"; then
    cp "$ca_tmp" "$build_dir/extra-ca.pem"
fi
chmod 0644 "$build_dir/extra-ca.pem"

# --- helpers -----------------------------------------------------------------
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

image_size() {
    docker image inspect --format '{{.Size}}' "$1" 2>/dev/null \
        | awk '{ printf "%.0f MB", $1 / 1000 / 1000 }'
}

# docker_build NAME TAG DOCKERFILE [extra docker build args...]
# Full output goes to images/.build/logs/NAME.log; its tail is shown on failure.
docker_build() {
    local name="$1" tag="$2" dockerfile="$3"; shift 3
    local log="$log_dir/$name.log" start end rc
    say "building $tag ... (log: ${log#"$repo_root"/})"
    start=$SECONDS
    set +e
    docker build --force-rm --rm \
        --label "org.gc-hub.image=$name" \
        -f "$dockerfile" -t "$tag" "$@" . >"$log" 2>&1
    rc=$?
    set -e
    end=$SECONDS
    if [ $rc -ne 0 ]; then
        echo "build.sh: error: building $tag failed after $((end - start))s; last lines of $log:" >&2
        tail -n 40 "$log" >&2
        if grep -q -E 'CERTIFICATE_VERIFY_FAILED|certificate verify failed' "$log"; then
            echo "build.sh: hint: TLS to the package index failed certificate checks. Behind a TLS-inspecting proxy, set GC_EXTRA_CA_BUNDLE=/path/to/proxy-ca.pem (PEM, may hold many certificates)." >&2
        fi
        if [ "$name" = base ] && [ "$base_source" = upstream ] && grep -q -i -E 'pull access denied|manifest unknown|registry|dial tcp|TLS handshake timeout|i/o timeout' "$log"; then
            echo "build.sh: hint: $upstream_image could not be pulled. Without a registry, use GC_BASE_SOURCE=debootstrap (the default)." >&2
        fi
        exit 1
    fi
    say "$name: built $tag in $((end - start))s ($(image_size "$tag"))"
}

make_rootfs() {
    if image_exists "$rootfs_image"; then
        return 0
    fi
    command -v mmdebstrap >/dev/null 2>&1 \
        || die "mmdebstrap is needed to make $rootfs_image: install it with 'apt-get install mmdebstrap', or build from the upstream image with GC_BASE_SOURCE=upstream (needs a registry)"
    local log="$log_dir/debian-rootfs.log" start tmp
    say "making $rootfs_image with mmdebstrap from $mirror ... (log: ${log#"$repo_root"/})"
    start=$SECONDS
    tmp="$(mktemp -d)"
    rootfs_tmp="$tmp"
    local sources=("deb $mirror bookworm main" "deb $mirror bookworm-updates main")
    if [ "$security_mirror" != none ]; then
        sources+=("deb $security_mirror bookworm-security main")
    fi
    # python3-venv brings ensurepip's wheels; docs, man pages and locales are dropped.
    if ! mmdebstrap --variant=apt \
            --include=python3,python3-venv,ca-certificates \
            --dpkgopt='path-exclude=/usr/share/man/*' \
            --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            --dpkgopt='path-exclude=/usr/share/locale/*' \
            --dpkgopt='path-exclude=/usr/share/info/*' \
            bookworm "$tmp/rootfs.tar" "${sources[@]}" >"$log" 2>&1; then
        rm -rf "$tmp"
        echo "build.sh: error: mmdebstrap failed; last lines of $log:" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'LABEL org.gc-hub.image=debian-rootfs' \
        --change 'CMD ["/bin/bash"]' \
        --message "gc-hub Debian bookworm rootfs from $mirror" \
        "$tmp/rootfs.tar" "$rootfs_image" >>"$log" 2>&1 \
        || { rm -rf "$tmp"; tail -n 5 "$log" >&2; die "docker import of the rootfs failed"; }
    rm -rf "$tmp"
    rootfs_tmp=""
    say "debian-rootfs: made $rootfs_image in $((SECONDS - start))s ($(image_size "$rootfs_image"))"
}

build_base() {
    local from
    if [ "$base_source" = debootstrap ]; then
        make_rootfs
        from="$rootfs_image"
    else
        from="$upstream_image"
    fi
    docker_build base "$base_image" images/base/Dockerfile --build-arg "BASE=$from"
}

build_user_image() {
    local name="$1"
    docker_build "$name" "$prefix/$name:latest" "images/$name/Dockerfile" --build-arg "BASE=$base_image"
}

# The examples share their first layers (SimpleITK), so the second build is quick.
build_examples() {
    local kind
    for kind in algorithm evaluation; do
        docker_build "example-$kind" "$prefix/example-$kind:latest" "images/examples/$kind/Dockerfile" \
            --build-arg "BASE=$base_image"
    done
}

# Shares its SimpleITK layer with the examples; copies the import modules of services/imaging/.
build_importer() {
    docker_build importer "$prefix/importer:latest" images/importer/Dockerfile --build-arg "BASE=$base_image"
}

# Shares its SimpleITK layer with the examples; grand-challenge's packs build on it (tests).
build_pack_base() {
    docker_build pack-base "$prefix/pack-base:latest" images/pack-base/Dockerfile --build-arg "BASE=$base_image"
}

# --- main --------------------------------------------------------------------
total_start=$SECONDS
say "target: $target; base from: $base_source; prefix: $prefix; $ca_note"
case "$target" in
    base)        build_base ;;
    workstation) build_base; build_user_image workstation ;;
    training)    build_base; build_user_image training ;;
    examples)    build_base; build_examples ;;
    importer)    build_base; build_importer ;;
    pack-base)   build_base; build_pack_base ;;
    all)         build_base; build_user_image workstation; build_user_image training; build_examples; build_importer
                 build_pack_base ;;
esac
say "done in $((SECONDS - total_start))s"
