package soak

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tmsync/tmsync/internal/cli"
)

// asTmsync makes the test binary run as tmsync when it is the process the
// soak starts: the soak drives processes it can kill, and re-executing the
// test binary needs no build step.
const asTmsync = "TMSYNC_SOAK_RUN_AS_TMSYNC"

func TestMain(m *testing.M) {
	if os.Getenv(asTmsync) == "1" {
		os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestSoakShort is make soak in small: ten rounds with a fixed seed.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tmsync processes")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var log strings.Builder
	sum, err := Run(ctx, Config{
		Rounds: 10, Seed: 6,
		Tmsync: func(args ...string) *exec.Cmd { return exec.Command(self, args...) },
		Env:    []string{asTmsync + "=1"},
		Dir:    t.TempDir(),
		Log:    &log,
	})
	t.Log("\n" + log.String() + sum.Line())
	if err != nil {
		t.Fatal(err)
	}
	if !sum.OK() || sum.Rounds != 10 {
		t.Errorf("%s", sum.Line())
	}
	if sum.Faults == 0 || sum.Kills == 0 {
		t.Errorf("%s: want faults and kills in ten rounds of seed 6", sum.Line())
	}
}
