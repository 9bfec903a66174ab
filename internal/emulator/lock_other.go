//go:build !unix

package emulator

import "os"

// On systems without flock a state file is safe for one process only; the
// in-process mutex of fileStore still serialises its requests.
func lockFile(*os.File) error   { return nil }
func unlockFile(*os.File) error { return nil }
