#!/usr/bin/env bash
# Builds the release binary of gantry and prints where it is, whether it is
# static, and its size.
#
#   scripts/release.sh            # target/<triple>/release/gantry
#
# With the x86_64-unknown-linux-musl target installed (`rustup target add
# x86_64-unknown-linux-musl`; aws-lc's C code also wants `musl-gcc`, Debian's
# musl-tools), the binary is static: it runs on any x86_64 Linux. Without
# it, this builds the glibc binary and says that it is not static (it needs
# a glibc at least as new as the build machine's). Either way the binary is
# stripped. Honours CARGO_TARGET_DIR. Not part of the test suite: a release
# build of the AWS SDK crates takes long.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target_dir=${CARGO_TARGET_DIR:-$root/target}
musl=x86_64-unknown-linux-musl

if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] \
   && rustup target list --installed 2>/dev/null | grep -qx "$musl"; then
  if ! command -v musl-gcc >/dev/null && ! command -v x86_64-linux-musl-gcc >/dev/null; then
    echo "warning: no musl-gcc on PATH; aws-lc's C code may not build (apt-get install musl-tools)" >&2
  fi
  cargo build --release --locked -p gantry-cli --target "$musl"
  bin=$target_dir/$musl/release/gantry
  static=yes
else
  echo "the $musl target is not installed (rustup target add $musl): building the glibc binary" >&2
  cargo build --release --locked -p gantry-cli
  bin=$target_dir/release/gantry
  static=no
fi

strip "$bin"
size=$(stat -c %s "$bin")
echo "$bin"
"$bin" --version
if [ "$static" = yes ] && ! file "$bin" | grep -q 'dynamically linked'; then
  echo "static: yes (no shared libraries needed)"
else
  echo "static: no (dynamically linked against glibc: $(ldd "$bin" 2>/dev/null | awk '{print $1}' | tr '\n' ' '))"
fi
echo "size: $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f MiB", s / 1048576 }'))"
