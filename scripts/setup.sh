#!/usr/bin/env bash
# Installs what ingestd needs on Debian 12 and builds it.
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
                libutf8proc-dev libxxhash-dev libmicrohttpd-dev libcld2-dev kcat python3)
TEST_PACKAGES=(libcmocka-dev python3-jsonschema openjdk-17-jre-headless maven
               systemd man-db procps iproute2 curl)

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
read -r -a missing <<<"${missing[*]}"

if ((${#missing[@]})); then
        SUDO=""
        [[ $(id -u) -eq 0 ]] || SUDO="sudo"
        echo "setup: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -f build/build.ninja ]]; then
        meson setup build --buildtype=release -Dtests=false >/dev/null
fi
ninja -C build >/dev/null
echo "setup: built $(./build/daemon/ingestd --version)" >&2
