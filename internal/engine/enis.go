package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// enisWanted reports whether any of stacks chooses sources or a target by
// selector: only then are the region's ENIs read.
func enisWanted(stacks []*spec.Stack) bool {
	for _, st := range stacks {
		for _, s := range st.Sessions {
			if s.Selected() {
				return true
			}
		}
	}
	return false
}

// eniQueries returns the fewest queries that find every ENI the selectors
// of stacks may match (one per distinct selector, one per instance of an
// instanceIds selector, with the API's own filters), and the IDs of every
// source the selected sessions of those stacks name now: those the
// queries do not find are read by ID, so that a source deleted since is
// known as such.
func eniQueries(stacks []*spec.Stack, live *cloud.Snapshot) ([]cloud.ENIQuery, []string) {
	seen := map[string]bool{}
	var out []cloud.ENIQuery
	add := func(q cloud.ENIQuery) {
		k := fmt.Sprintf("%s|%s|%s|%s|%s|%v", q.VPCID, q.VSwitchID, q.InstanceID, q.SecurityGroupID, q.Type, tagKey(q.Tags))
		if !seen[k] {
			seen[k] = true
			out = append(out, q)
		}
	}
	query := func(sel spec.Selector, secondary bool) {
		q := cloud.ENIQuery{VPCID: sel.VPCID, VSwitchID: sel.VSwitchID, SecurityGroupID: sel.SecurityGroupID, Tags: sel.Tags}
		if !secondary && sel.SecurityGroupID == "" {
			q.Type = cloud.ENIPrimary
		}
		if len(sel.InstanceIDs) == 0 {
			add(q)
			return
		}
		for _, id := range sel.InstanceIDs {
			qi := q
			qi.InstanceID = id
			add(qi)
		}
	}
	selected := map[string]bool{}
	ids := map[string]bool{}
	for _, st := range stacks {
		for _, s := range st.Sessions {
			if !s.Selected() {
				continue
			}
			selected[st.Name] = true
			for _, sel := range s.Select {
				query(sel, s.IncludeSecondary)
			}
			if s.TargetSelect != nil {
				query(*s.TargetSelect, true)
			}
			for _, id := range s.Sources {
				ids[id] = true
			}
		}
	}
	for _, s := range live.Sessions {
		if selected[s.Tags[cloud.TagStack]] {
			for _, id := range s.SourceIDs {
				ids[id] = true
			}
		}
	}
	var idq []string
	for id := range ids {
		idq = append(idq, id)
	}
	sort.Strings(idq)
	return out, idq
}

func tagKey(t cloud.Tags) string {
	var b strings.Builder
	for _, k := range t.Keys() {
		fmt.Fprintf(&b, "%q=%q;", k, t[k])
	}
	return b.String()
}

// readENIs reads the ENIs the selectors of stacks need into snap, with the
// fewest queries, once per account and region, retrying as ro says.
func (e *Engine) readENIs(ctx context.Context, c cloud.Client, stacks []*spec.Stack, snap *cloud.Snapshot, ro readOptions) error {
	r, ok := c.(cloud.ENIReader)
	if !ok {
		return fmt.Errorf("endpoint %s cannot list ENIs, which source selectors need", c.Endpoint())
	}
	byID := map[string]cloud.ENI{}
	queries, ids := eniQueries(stacks, snap)
	read := func(q cloud.ENIQuery) error {
		enis, err := retryRead(e, ctx, c, ro, func(ctx context.Context) ([]cloud.ENI, error) { return r.DescribeNetworkInterfaces(ctx, q) })
		if err != nil {
			return fmt.Errorf("list the ENIs source selectors need: %w", err)
		}
		for _, x := range enis {
			byID[x.ID] = x
		}
		return nil
	}
	for _, q := range queries {
		if err := read(q); err != nil {
			return err
		}
	}
	// Sources the selectors no longer find: deleted, or no longer
	// matching; only a read by ID tells which.
	var rest []string
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			rest = append(rest, id)
		}
	}
	if len(rest) > 0 {
		if err := read(cloud.ENIQuery{IDs: rest}); err != nil {
			return err
		}
	}
	snap.ENIs = make([]cloud.ENI, 0, len(byID))
	for _, x := range byID {
		snap.ENIs = append(snap.ENIs, x)
	}
	sort.Slice(snap.ENIs, func(i, j int) bool { return snap.ENIs[i].ID < snap.ENIs[j].ID })
	snap.ENIsRead = true
	return nil
}

// readState reads live state for stacks of one account and region: the
// snapshot, and the ENIs when a stack selects sources.
func (e *Engine) readState(ctx context.Context, c cloud.Client, stacks []*spec.Stack) (*cloud.Snapshot, error) {
	return e.readStateWith(ctx, c, stacks, readOptions{})
}

// readStateWith is readState with its reads retried as ro says.
func (e *Engine) readStateWith(ctx context.Context, c cloud.Client, stacks []*spec.Stack, ro readOptions) (*cloud.Snapshot, error) {
	snap, err := retryRead(e, ctx, c, ro, func(ctx context.Context) (*cloud.Snapshot, error) {
		return cloud.ReadSnapshot(ctx, c)
	})
	if err != nil || !enisWanted(stacks) {
		return snap, err
	}
	if err := e.readENIs(ctx, c, stacks, snap, ro); err != nil {
		return nil, err
	}
	return snap, nil
}
