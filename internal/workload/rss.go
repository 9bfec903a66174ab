//go:build unix

package workload

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSS returns the peak resident set size of an exited process in bytes,
// from its rusage: what /usr/bin/time reports as maximum resident set size.
func maxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	// Linux reports kilobytes, macOS bytes.
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}
