#!/bin/sh
# Install one release of tmsync: download the archive for this machine, check
# it against the release's SHA256SUMS (and SHA256SUMS against a pinned hash,
# when one is given), check that the binary reports the version asked for,
# and put it in a directory. Nothing is installed when a check fails.
#
#   sh install.sh [-d DIR] [-s SHA256] VERSION
#
#   VERSION   the release, e.g. v0.1.0 (default: $TMSYNC_VERSION)
#   -d DIR    where tmsync goes (default: $TMSYNC_INSTALL_DIR, else ./bin)
#   -s SHA256 the sha256 of the release's SHA256SUMS file, as make release
#             prints it; any other SHA256SUMS is refused
#             (default: $TMSYNC_SHA256SUMS_SHA256)
#
# Files are fetched from $TMSYNC_RELEASE_URL/VERSION/NAME (default
# https://github.com/tmsync/tmsync/releases/download) with curl or wget.
# The CI templates in examples/ci run a copy of this script.
set -eu

die() {
	echo "install.sh: error: $*" >&2
	exit 1
}

usage() {
	echo "usage: sh install.sh [-d DIR] [-s SHA256] VERSION" >&2
	exit 2
}

dir=${TMSYNC_INSTALL_DIR:-./bin}
pin=${TMSYNC_SHA256SUMS_SHA256:-}
base=${TMSYNC_RELEASE_URL:-https://github.com/tmsync/tmsync/releases/download}
while getopts d:s:h opt; do
	case $opt in
	d) dir=$OPTARG ;;
	s) pin=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
version=${1:-${TMSYNC_VERSION:-}}
[ $# -le 1 ] || usage
[ -n "$version" ] || die "no version: give one (v0.1.0), or set TMSYNC_VERSION"
case $version in
*/* | *' '*) die "version $version is not a release name" ;;
esac

case $(uname -s) in
Linux) os=linux ;;
Darwin) os=darwin ;;
*) die "no tmsync release for $(uname -s): build it with go install github.com/tmsync/tmsync/cmd/tmsync@$version" ;;
esac
case $(uname -m) in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) die "no tmsync release for $(uname -m): build it with go install github.com/tmsync/tmsync/cmd/tmsync@$version" ;;
esac
archive=tmsync-$version-$os-$arch.tar.gz

fetch() { # URL FILE
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 3 -o "$2" "$1" || die "could not download $1"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$2" "$1" || die "could not download $1"
	else
		die "neither curl nor wget is installed"
	fi
}

sha256() { # FILE
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d ' ' -f 1
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -d ' ' -f 1
	else
		die "neither sha256sum nor shasum is installed"
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fetch "$base/$version/SHA256SUMS" "$tmp/SHA256SUMS"
sums=$(sha256 "$tmp/SHA256SUMS")
if [ -n "$pin" ]; then
	[ "$sums" = "$pin" ] || die "SHA256SUMS of $version has sha256 $sums, not the pinned $pin: check the release, then the pin"
else
	echo "install.sh: SHA256SUMS of $version is not pinned (sha256 $sums); pin it with -s or TMSYNC_SHA256SUMS_SHA256" >&2
fi
want=$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1 }' "$tmp/SHA256SUMS")
[ -n "$want" ] || die "$version has no $archive (see its SHA256SUMS)"

fetch "$base/$version/$archive" "$tmp/$archive"
got=$(sha256 "$tmp/$archive")
[ "$got" = "$want" ] || die "$archive has sha256 $got, but SHA256SUMS says $want: nothing installed"

mkdir "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x" tmsync || die "$archive has no tmsync in it"
chmod 755 "$tmp/x/tmsync"
reported=$("$tmp/x/tmsync" --version 2>/dev/null) || die "the tmsync of $archive does not run on this machine"
[ "$reported" = "tmsync $version" ] || die "the tmsync of $archive says \"$reported\", not \"tmsync $version\""

mkdir -p "$dir"
cp "$tmp/x/tmsync" "$dir/.tmsync.$$"
mv -f "$dir/.tmsync.$$" "$dir/tmsync"
echo "tmsync $version installed in $dir/tmsync"
