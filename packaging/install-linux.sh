#!/usr/bin/env sh
# Installs SeeDance Tasks for the current user: the binary in ~/.local/bin, the icons in
# the hicolor theme and a .desktop file, so it appears in the application menu and opens
# by double-click. Run from the repository root after `cargo build --release`, or pass
# the binary's path. `--uninstall` removes what this script installed.
set -eu

prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
bindir="${SEEDANCE_BIN_DIR:-$HOME/.local/bin}"
here="$(cd "$(dirname "$0")/.." && pwd)"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$bindir/seedance-tasks" "$prefix/applications/seedance-tasks.desktop"
    for size in 16 24 32 48 64 128 256 512; do
        rm -f "$prefix/icons/hicolor/${size}x${size}/apps/seedance-tasks.png"
    done
    echo "SeeDance Tasks removed."
    exit 0
fi

binary="${1:-$here/target/release/seedance-tasks}"
if [ ! -x "$binary" ]; then
    echo "error: no binary at $binary; run 'cargo build --release' first or pass its path" >&2
    exit 1
fi

mkdir -p "$bindir" "$prefix/applications"
install -m 755 "$binary" "$bindir/seedance-tasks"
for size in 16 24 32 48 64 128 256 512; do
    dir="$prefix/icons/hicolor/${size}x${size}/apps"
    mkdir -p "$dir"
    install -m 644 "$here/assets/icon-$size.png" "$dir/seedance-tasks.png"
done
# The menu entry runs the installed binary by its full path (~/.local/bin may not be on
# the PATH a desktop session starts programs with).
sed "s|^Exec=seedance-tasks|Exec=$bindir/seedance-tasks|" "$here/packaging/seedance-tasks.desktop" \
    > "$prefix/applications/seedance-tasks.desktop"
chmod 644 "$prefix/applications/seedance-tasks.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$prefix/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q "$prefix/icons/hicolor" || true
echo "SeeDance Tasks installed: $bindir/seedance-tasks (application menu: SeeDance Tasks)."
