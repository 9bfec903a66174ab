package soak

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	"github.com/tmsync/tmsync/internal/cloud"
)

// foreign is what the region holds that tmsync must never touch, as List
// showed it when the soak began.
type foreign struct {
	filters  map[string]cloud.Filter
	sessions map[string]cloud.Session
}

func rule(dir string, prio int, dst string) cloud.Rule {
	return cloud.Rule{Direction: dir, Priority: prio, Action: "accept", Protocol: "TCP", IPVersion: "IPv4",
		SourceCIDR: "0.0.0.0/0", DestCIDR: dst, SourcePort: "1/65535", DestPort: "443/443"}
}

// createForeign makes the objects of other owners: an unowned filter named
// like the anchor with an unowned session, and another stack's filters and
// sessions with the keys and names of this stack's first spec, at rule
// priorities this stack uses and session priorities interleaved with its
// own. anchorID is this stack's anchor filter, which gets a session of its
// own that tmsync does not own.
func createForeign(ctx context.Context, c cloud.Client, anchorID string) (*foreign, error) {
	var fids, sids []string
	mkFilter := func(name string, tags cloud.Tags) (string, error) {
		id, err := c.CreateFilter(ctx, cloud.CreateFilterInput{Name: name, Tags: tags,
			Ingress: []cloud.Rule{rule(cloud.Ingress, 1, "10.9.0.0/16"), rule(cloud.Ingress, 2, "10.8.0.0/16")},
			Egress:  []cloud.Rule{rule(cloud.Egress, 1, "10.7.0.0/16")}})
		fids = append(fids, id)
		return id, err
	}
	prios := append([]int(nil), foreignPriorities...)
	mkSession := func(name, filterID string, tags cloud.Tags) error {
		p := prios[0]
		prios = prios[1:]
		id, err := c.CreateSession(ctx, cloud.CreateSessionInput{FilterID: filterID, SessionSettings: cloud.SessionSettings{Name: name, SourceIDs: []string{"eni-src01", "eni-foreign1"}, TargetID: "eni-foreigntgt", TargetType: cloud.TargetENI, Priority: p, PacketLength: 1500, Enabled: true, Tags: tags}})
		sids = append(sids, id)
		return err
	}
	unowned, err := mkFilter(anchor, cloud.Tags{"team": "by-hand"})
	if err != nil {
		return nil, fmt.Errorf("unowned filter: %w", err)
	}
	if err := waitCreated(ctx, c, fids, nil); err != nil {
		return nil, err
	}
	if err := mkSession("web-ids", unowned, nil); err != nil {
		return nil, fmt.Errorf("unowned session: %w", err)
	}
	st := initialStack()
	otherFilters := map[string]string{}
	for _, k := range st.FilterKeys() {
		id, err := mkFilter(k, cloud.Tags{cloud.TagStack: otherStack, cloud.TagKey: k, cloud.TagApplied: "otherstack22"})
		if err != nil {
			return nil, fmt.Errorf("other stack's filter: %w", err)
		}
		otherFilters[k] = id
	}
	if err := waitCreated(ctx, c, fids, nil); err != nil {
		return nil, err
	}
	for _, k := range st.SessionKeys() {
		tags := cloud.Tags{cloud.TagStack: otherStack, cloud.TagKey: k, cloud.TagApplied: "otherstack22"}
		if err := mkSession(k, otherFilters[st.Sessions[k].Filter], tags); err != nil {
			return nil, fmt.Errorf("other stack's session: %w", err)
		}
	}
	// The session on the anchor: its filter can be neither deleted nor
	// swapped for a new one.
	if err := mkSession("by-hand-on-web", anchorID, nil); err != nil {
		return nil, fmt.Errorf("session on the anchor: %w", err)
	}
	if err := waitCreated(ctx, c, fids, sids); err != nil {
		return nil, err
	}
	return snapshotForeign(ctx, c, fids, sids)
}

// waitCreated polls until the objects are Created.
func waitCreated(ctx context.Context, c cloud.Client, fids, sids []string) error {
	for {
		done := true
		if len(fids) > 0 {
			fs, err := c.ListFilters(ctx, cloud.ListFiltersInput{IDs: fids})
			if err != nil {
				return err
			}
			done = len(fs) == len(fids)
			for _, f := range fs {
				done = done && f.Status == cloud.StatusCreated
			}
		}
		if len(sids) > 0 {
			ss, err := c.ListSessions(ctx, cloud.ListSessionsInput{IDs: sids})
			if err != nil {
				return err
			}
			done = done && len(ss) == len(sids)
			for _, s := range ss {
				done = done && s.Status == cloud.StatusCreated
			}
		}
		if done {
			return nil
		}
		if err := sleep(ctx, 20e6); err != nil {
			return err
		}
	}
}

func snapshotForeign(ctx context.Context, c cloud.Client, fids, sids []string) (*foreign, error) {
	fs, err := c.ListFilters(ctx, cloud.ListFiltersInput{IDs: fids})
	if err != nil {
		return nil, err
	}
	ss, err := c.ListSessions(ctx, cloud.ListSessionsInput{IDs: sids})
	if err != nil {
		return nil, err
	}
	out := &foreign{filters: map[string]cloud.Filter{}, sessions: map[string]cloud.Session{}}
	for _, f := range fs {
		out.filters[f.ID] = f
	}
	for _, s := range ss {
		out.sessions[s.ID] = s
	}
	return out, nil
}

// ids returns every foreign object ID, rules included: the keys of the
// emulator's write log.
func (f *foreign) ids() []string {
	var out []string
	for id, x := range f.filters {
		out = append(out, id)
		for _, r := range append(append([]cloud.Rule(nil), x.Ingress...), x.Egress...) {
			out = append(out, r.ID)
		}
	}
	for id := range f.sessions {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// changed lists how the foreign objects differ from what List showed at
// the start; nil when they are unchanged.
func (f *foreign) changed(ctx context.Context, c cloud.Client) ([]string, error) {
	var fids, sids []string
	for id := range f.filters {
		fids = append(fids, id)
	}
	for id := range f.sessions {
		sids = append(sids, id)
	}
	now, err := snapshotForeign(ctx, c, fids, sids)
	if err != nil {
		return nil, err
	}
	var out []string
	for id, was := range f.filters {
		if is, ok := now.filters[id]; !ok {
			out = append(out, "filter "+id+" is gone")
		} else if !reflect.DeepEqual(was, is) {
			out = append(out, fmt.Sprintf("filter %s changed: was %+v, is %+v", id, was, is))
		}
	}
	for id, was := range f.sessions {
		if is, ok := now.sessions[id]; !ok {
			out = append(out, "session "+id+" is gone")
		} else if !reflect.DeepEqual(was, is) {
			out = append(out, fmt.Sprintf("session %s changed: was %+v, is %+v", id, was, is))
		}
	}
	sort.Strings(out)
	return out, nil
}
