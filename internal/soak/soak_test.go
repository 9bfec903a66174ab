package soak

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tmsync/tmsync/internal/cli"
	"github.com/tmsync/tmsync/internal/cloud"
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

// soakSelf runs a soak of cfg whose tmsync is this test binary, and logs
// what it did.
func soakSelf(t *testing.T, cfg Config) Summary {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var log strings.Builder
	cfg.Tmsync = func(args ...string) *exec.Cmd { return exec.Command(self, args...) }
	cfg.Env = []string{asTmsync + "=1"}
	cfg.Dir = t.TempDir()
	cfg.Log = &log
	sum, err := Run(ctx, cfg)
	t.Log("\n" + log.String() + sum.Line())
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestSoakShort is make soak in small: ten rounds with a fixed seed.
func TestSoakShort(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts tmsync processes")
	}
	sum := soakSelf(t, Config{Rounds: 10, Seed: 6})
	if !sum.OK() || sum.Rounds != 10 {
		t.Errorf("%s", sum.Line())
	}
	if sum.Faults == 0 || sum.Kills == 0 {
		t.Errorf("%s: want faults and kills in ten rounds of seed 6", sum.Line())
	}
}

// TestSoakRunners is make soak's concurrent mode in small: two tmsync
// processes with separate lock directories apply each round at once. In
// round 4 of seed 1 a filter is re-keyed by delete and create while one
// runner is killed once a call hangs; a tmsync whose tokens depend on what
// each run read (before b5c5721) leaves two filters of that key there,
// which the next apply deletes: only the count taken as the runners end
// sees them.
func TestSoakRunners(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts tmsync processes")
	}
	const rounds, runners = 4, 2
	sum := soakSelf(t, Config{Rounds: rounds, Runners: runners, Seed: 1})
	if !sum.OK() || sum.Duplicates != 0 || sum.Rounds != rounds {
		t.Errorf("%s", sum.Line())
	}
	if sum.Applies < rounds*runners || sum.Kills == 0 {
		t.Errorf("%s: %d applies, want %d runners in each of %d rounds and a kill in seed 1", sum.Line(), sum.Applies, runners, rounds)
	}
}

// TestCheckFindsViolations breaks each rule of the soak by hand and checks
// that the round check counts it: a soak that cannot fail proves nothing.
func TestCheckFindsViolations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a tmsync process")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := start(ctx, Config{Seed: 1, Dir: t.TempDir(),
		Tmsync: func(args ...string) *exec.Cmd { return exec.Command(self, args...) }, Env: []string{asTmsync + "=1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if err := s.setup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.check(ctx, 0, false); err != nil {
		t.Fatalf("check after setup: %v", err)
	}

	// A write to a foreign object.
	var foreignID string
	for id := range s.foreign.filters {
		foreignID = id
	}
	name := "touched"
	if err := s.client.UpdateFilter(ctx, cloud.UpdateFilterInput{ID: foreignID, Name: &name}); err != nil {
		t.Fatal(err)
	}
	// A second object of one key, and an object nobody owns.
	snap, err := cloud.ReadSnapshot(ctx, s.client)
	if err != nil {
		t.Fatal(err)
	}
	var anchorID string
	for _, f := range snap.Filters {
		if f.Tags[cloud.TagStack] == stackName && f.Tags[cloud.TagKey] == anchor {
			anchorID = f.ID
		}
	}
	if _, err := s.client.CreateSession(ctx, cloud.CreateSessionInput{FilterID: anchorID, SessionSettings: cloud.SessionSettings{Name: "dup", SourceIDs: []string{"eni-src09"}, TargetID: "eni-tgt3", TargetType: cloud.TargetENI, Priority: 39, PacketLength: 1500, Enabled: true, Tags: cloud.Tags{cloud.TagStack: stackName, cloud.TagKey: "web-ids", cloud.TagApplied: "dupdupdupdup"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.CreateFilter(ctx, cloud.CreateFilterInput{Name: "stray"}); err != nil {
		t.Fatal(err)
	}
	// The count taken as a round's runners end sees the duplicate, but
	// not an object on its way out, such as a filter a swap replaces.
	if n, msgs, err := s.duplicatesNow(ctx, nil); err != nil || n != 1 {
		t.Errorf("duplicatesNow = %d, %v, %v; want 1 duplicate (session.web-ids)", n, msgs, err)
	}
	var sessionIDs []string
	if snap, err = cloud.ReadSnapshot(ctx, s.client); err != nil {
		t.Fatal(err)
	}
	for _, x := range snap.Sessions {
		if x.Tags[cloud.TagStack] == stackName && x.Tags[cloud.TagKey] == "web-ids" {
			sessionIDs = append(sessionIDs, x.ID)
		}
	}
	if n, msgs, err := s.duplicatesNow(ctx, map[string]bool{sessionIDs[0]: true}); err != nil || n != 0 {
		t.Errorf("duplicatesNow with %s swapped out = %d, %v, %v; want none", sessionIDs[0], n, msgs, err)
	}
	err = s.check(ctx, 0, false)
	sum := s.sum
	if err == nil || sum.ForeignWrites < 2 || sum.Duplicates != 1 || sum.Orphans != 1 || sum.Unconverged != 1 {
		t.Errorf("check = %v\n%s, want 2 foreign writes (the write log and the changed record), 1 duplicate, 1 orphan, 1 unconverged", err, sum.Line())
	}
}
