// Package scripts holds the tests of the repository's release path: make
// release (archives, SHA256SUMS, SBOMs), scripts/install.sh served those
// archives by a local file server, and the Dockerfile at the root, which
// must build the binary make release builds.
//
// It has no code of its own: the Makefile, the scripts and the Dockerfile
// are what it tests.
package scripts
