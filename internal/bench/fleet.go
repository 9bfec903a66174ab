package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tmsync/tmsync/internal/emulator"
	"github.com/tmsync/tmsync/internal/workload"
)

// The fleet case of make bench: 5,000 ENIs across 50 session groups (100
// ENIs each, at most 10 a session: 500 sessions), applied, then planned
// again with nothing to do. The run's ENI reads are one
// DescribeNetworkInterfaces query per distinct selector (pages of 500, so
// one page each here), plus ceil(sources the selectors no longer find /
// 100) reads by ID: FleetGroups queries when the fleet is steady.
const (
	FleetGroups   = 50
	FleetPerGroup = 100
)

// A FleetResult is what the fleet case measured.
type FleetResult struct {
	ENIs, Groups, Sessions int
	// Describe is the DescribeNetworkInterfaces calls of the no-op plan;
	// Want is the documented number.
	Describe, Want int
	// Calls are all calls of the no-op plan.
	Calls map[string]int
	// Plan is the wall time of the no-op plan, process start to exit;
	// Apply that of the apply from empty.
	Plan, Apply time.Duration
}

// Fleet runs the fleet case with the tmsync binary of cfg.
func Fleet(ctx context.Context, cfg Config) (FleetResult, error) {
	res := FleetResult{ENIs: FleetGroups * FleetPerGroup, Groups: FleetGroups, Want: FleetGroups}
	dir, err := os.MkdirTemp(cfg.Dir, "fleet-")
	if err != nil {
		return res, err
	}
	id, secret := workload.NewKeys()
	inv := &emulator.Inventory{NetworkInterfaces: []emulator.NetworkInterface{{ID: "eni-collector000001"}}}
	var spec strings.Builder
	fmt.Fprintf(&spec, "stack: fleet\nregion: %s\nservice: {enabled: true}\nfilters:\n  all:\n    ingress: [{priority: 1, action: accept, protocol: ALL}]\nsessions:\n", Region)
	for g := range FleetGroups {
		for i := range FleetPerGroup {
			inv.NetworkInterfaces = append(inv.NetworkInterfaces, emulator.NetworkInterface{
				ID: fmt.Sprintf("eni-g%02dn%03d", g, i), VPCID: "vpc-fleet", Tags: map[string]string{"app": fmt.Sprintf("app%02d", g)}})
		}
		fmt.Fprintf(&spec, "  g%02d:\n    filter: all\n    target: {type: NetworkInterface, id: eni-collector000001}\n"+
			"    sources: {select: [{tags: {app: app%02d}}]}\n    split: {priorities: %d-%d}\n", g, g, 100+g*20, 119+g*20)
	}
	if err := os.WriteFile(filepath.Join(dir, "fleet.yaml"), []byte(spec.String()), 0o644); err != nil {
		return res, err
	}
	delay := cfg.AsyncDelay
	if delay <= 0 {
		delay = 200 * time.Millisecond
	}
	srv, err := emulator.NewServer(emulator.Options{
		AccessKeys: map[string]string{id: secret}, AsyncDelay: delay, Seed: cfg.Seed, Inventory: inv,
		Quotas: emulator.Quotas{FiltersPerRegion: -1, SessionsPerRegion: -1},
	})
	if err != nil {
		return res, err
	}
	defer srv.Close()
	r := &workload.Runner{Command: cfg.Tmsync, Endpoint: srv.URL(), KeyID: id, Secret: secret, Dir: dir}
	out, err := r.Run(ctx, r.Args("apply", "-f", dir, "--auto-approve", "--max-rps", "0", "--parallelism", "20",
		"--poll-interval", "50ms", "--timeout", "10m")...)
	if err != nil {
		return res, err
	}
	if out.Code != 0 {
		return res, fmt.Errorf("fleet apply exited %d:\n%s", out.Code, tail(out.Stderr, 20))
	}
	res.Apply = out.Wall
	srv.ResetStats()
	out, err = r.Run(ctx, r.Args("plan", "-f", dir, "--detailed-exitcode")...)
	if err != nil {
		return res, err
	}
	if out.Code != 0 {
		return res, fmt.Errorf("fleet plan after the apply exited %d (want 0, no changes):\n%s", out.Code, tail(out.Stdout+out.Stderr, 20))
	}
	res.Plan = out.Wall
	res.Calls = srv.Stats().Calls
	res.Describe = res.Calls["DescribeNetworkInterfaces"]
	res.Sessions = FleetGroups * FleetPerGroup / 10
	return res, nil
}

// Markdown writes the fleet section of the results.
func (f FleetResult) Markdown(w io.Writer) {
	fmt.Fprintf(w, "\n## Sources that follow the fleet\n\n")
	fmt.Fprintf(w, "%d ENIs in %d session groups (%d sessions), applied from empty in %s; then a plan with nothing to do:\n\n",
		f.ENIs, f.Groups, f.Sessions, ms(f.Apply))
	fmt.Fprintf(w, "| measure | value | budget |\n|---|---|---|\n")
	fmt.Fprintf(w, "| DescribeNetworkInterfaces calls | %d | %d (one per distinct selector) %s |\n", f.Describe, f.Want, verdict(f.Describe <= f.Want, "over"))
	fmt.Fprintf(w, "| no-op plan, whole process | %s | < 1 s %s |\n", ms(f.Plan), verdict(f.Plan < time.Second, "over"))
	fmt.Fprintf(w, "| all calls of the plan | %s | |\n", callsBrief(f.Calls))
}
