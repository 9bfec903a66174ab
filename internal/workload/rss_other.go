//go:build !unix

package workload

import "os"

// maxRSS is unknown where the platform gives no rusage.
func maxRSS(*os.ProcessState) int64 { return 0 }
