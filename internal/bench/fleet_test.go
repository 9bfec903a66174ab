package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmsync/tmsync/internal/workload"
)

// TestFleet runs the fleet case of make bench when a built tmsync is at
// hand (bin/tmsync, as make bench builds it); go test ./... skips it.
func TestFleet(t *testing.T) {
	bin, err := filepath.Abs("../../bin/tmsync")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil || os.Getenv("TMSYNC_BENCH_FLEET") == "" {
		t.Skip("set TMSYNC_BENCH_FLEET=1 after make build to run the fleet case")
	}
	res, err := Fleet(context.Background(), Config{Tmsync: workload.Binary(bin), Dir: t.TempDir(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Describe > res.Want {
		t.Errorf("%d DescribeNetworkInterfaces calls, want at most %d", res.Describe, res.Want)
	}
}
