#!/bin/sh
# test_install.sh - `cmake --install` into a fresh prefix, then build the
# embedding example against it the two ways users do (CMake package, and
# pkg-config, shared and static) and run each build.
# usage: test_install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/lull-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }

# What must be there.
libdir=$(cd "$prefix" && find . -name 'liblull.so.*.*.*' | head -n1 | xargs dirname)
[ -n "$libdir" ] || fail "no liblull.so.X.Y.Z installed"
libdir=$prefix/${libdir#./}
version=$("$prefix/bin/lull" --version | sed -n 's/^lull \([0-9.]*\).*/\1/p')
major=${version%%.*}
for f in "$libdir/liblull.so.$version" "$libdir/liblull.so.$major" "$libdir/liblull.so" \
         "$libdir/liblull.a" "$prefix/include/lull.h" "$prefix/include/lull_voice.h" \
         "$libdir/cmake/lull/lullConfig.cmake" "$libdir/cmake/lull/lullConfigVersion.cmake" \
         "$libdir/pkgconfig/lull.pc" "$prefix/bin/lull" "$prefix/share/man/man1/lull.1"; do
    [ -e "$f" ] || fail "missing $f"
done
soname=$(objdump -p "$libdir/liblull.so.$version" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = "liblull.so.$major" ] || fail "SONAME is '$soname', expected liblull.so.$major"
# Only lull_ symbols are exported from the shared library.
bad=$(nm -D --defined-only "$libdir/liblull.so.$version" | awk '$2 ~ /[TDBR]/ && $3 !~ /^lull_/ { print $3 }')
[ -z "$bad" ] || fail "exported symbols without the lull_ prefix: $bad"
# The man page is valid roff and documents every command lull lists.
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z "$prefix/share/man/man1/lull.1" 2>"$work/man.err"
    [ ! -s "$work/man.err" ] || { cat "$work/man.err"; fail "groff warnings in lull.1"; }
fi
for cmd in $("$prefix/bin/lull" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'); do
    grep -q "^\.SS \"\?lull $cmd\b" "$prefix/share/man/man1/lull.1" ||
        fail "lull.1 does not document 'lull $cmd'"
done

# 1. CMake: find_package(lull CONFIG) -> lull::lull (shared), lull::lull_static.
for kind in shared static; do
    st=OFF; [ $kind = static ] && st=ON
    cmake -S "$src/examples/embed" -B "$work/cmake-$kind" -DCMAKE_PREFIX_PATH="$prefix" \
        -DLULL_STATIC=$st -DCMAKE_BUILD_RPATH="$libdir" >"$work/cmake-$kind.log" 2>&1 ||
        { cat "$work/cmake-$kind.log"; fail "configure example ($kind)"; }
    cmake --build "$work/cmake-$kind" >>"$work/cmake-$kind.log" 2>&1 ||
        { cat "$work/cmake-$kind.log"; fail "build example ($kind)"; }
    "$work/cmake-$kind/embed" || fail "example built with CMake ($kind) failed"
done
# The shared build really uses the installed liblull.so; the static one none.
ldd "$work/cmake-shared/embed" | grep -q "$libdir/liblull.so.$major" || fail "CMake shared example does not use $libdir"
! ldd "$work/cmake-static/embed" | grep -q liblull || fail "CMake static example links liblull.so"

# 2. pkg-config, shared and --static.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion lull)" = "$version" ] || fail "lull.pc version differs from lull --version"
cc=${CC:-cc}
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Werror -o "$work/pc-shared" "$src/examples/embed/embed.c" \
    $(pkg-config --cflags --libs lull) -lm -Wl,-rpath,"$libdir" || fail "pkg-config shared build"
"$work/pc-shared" || fail "example built with pkg-config (shared) failed"
# Static: liblull.a, then what lull.pc says it needs (Requires.private,
# linked shared here: Debian's sndfile.pc --static lists codec archives a
# desktop system does not have).
reqs=$(pkg-config --print-requires-private lull | awk '{ print $1 }')
[ -n "$reqs" ] || fail "lull.pc lists no Requires.private"
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Werror -o "$work/pc-static" "$src/examples/embed/embed.c" \
    $(pkg-config --cflags lull) "$libdir/liblull.a" $(pkg-config --libs $reqs) -lm -pthread ||
    fail "pkg-config static build"
! ldd "$work/pc-static" | grep -q liblull || fail "pkg-config static example links liblull.so"
"$work/pc-static" || fail "example built with pkg-config (static) failed"
echo "installed lull $version into $prefix; CMake and pkg-config builds run"
