package emulator

import (
	"strconv"
	"strings"
)

const (
	maxSessionPriority = 32766
	maxVNI             = 16777215
	maxSourcesPerCall  = 10
)

func createSession(c *call) (any, error) {
	if err := c.beginWrite(); err != nil {
		return nil, err
	}
	if err := c.p.required("TrafficMirrorFilterId"); err != nil {
		return nil, err
	}
	sources, err := c.p.list("TrafficMirrorSourceIds")
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, errMissing("TrafficMirrorSourceIds")
	}
	if err := c.p.required("TrafficMirrorTargetId", "TrafficMirrorTargetType", "Priority"); err != nil {
		return nil, err
	}
	s := &session{Enabled: false, PacketLength: 1500}
	s.Name, s.Description = c.p.str("TrafficMirrorSessionName"), c.p.str("TrafficMirrorSessionDescription")
	if err := checkText("TrafficMirrorSessionName", s.Name, 128); err != nil {
		return nil, err
	}
	if err := checkText("TrafficMirrorSessionDescription", s.Description, 256); err != nil {
		return nil, err
	}
	if s.Priority, err = parseInt("Priority", c.p.str("Priority"), 1, maxSessionPriority); err != nil {
		return nil, err
	}
	vni, ok, err := c.p.optInt("VirtualNetworkId", 0, maxVNI, false)
	if err != nil {
		return nil, err
	}
	if !ok {
		// The service picks a random VNI when none is given.
		vni = c.s.randomInt(maxVNI + 1)
	}
	s.VNI = vni
	if n, ok, err := c.p.optInt("PacketLength", 64, 9600, true); err != nil {
		return nil, err
	} else if ok {
		s.PacketLength = n
	}
	if b, ok, err := c.p.optBool("Enabled"); err != nil {
		return nil, err
	} else if ok {
		s.Enabled = b
	}
	tags, err := parseTags(c.p, "Tag", 20)
	if err != nil {
		return nil, err
	}
	s.Tags = tags
	f, err := c.getFilter("TrafficMirrorFilterId", false)
	if err != nil {
		return nil, err
	}
	s.FilterID = f.ID
	if s.TargetType, s.TargetID, err = c.checkTarget(c.p.str("TrafficMirrorTargetType"), c.p.str("TrafficMirrorTargetId")); err != nil {
		return nil, err
	}
	r := c.rs()
	if err := c.checkPriority(r, s.Priority, ""); err != nil {
		return nil, err
	}
	if err := c.checkSources(r, "", nil, sources); err != nil {
		return nil, err
	}
	s.SourceIDs = sources
	if q := c.s.lim.sessionsPerRegion; q >= 0 && len(r.Sessions) >= q {
		return nil, errQuota("TrafficMirrorSession", "The number of traffic mirror sessions in region %s has reached the quota of %d.", c.region, q)
	}
	s.ResourceGroupID = c.p.str("ResourceGroupId")
	if s.ResourceGroupID == "" {
		s.ResourceGroupID = c.st.DefaultResourceGroup
	}
	s.object = c.newObject()
	s.ID = c.newID("tms-")
	c.st.putSession(c.region, s)
	c.touch(s.ID)
	c.created(typeSession, 1)
	return struct {
		TrafficMirrorSessionId string
		ResourceGroupId        string
	}{s.ID, s.ResourceGroupID}, nil
}

// checkTarget checks a target type and ID against the inventory.
func (c *call) checkTarget(typ, id string) (string, string, error) {
	switch strings.ToLower(typ) {
	case "networkinterface":
		if err := c.checkENI(id); err != nil {
			return "", "", err
		}
		return "NetworkInterface", id, nil
	case "slb":
		exists, internal := c.inv.slb(c.region, id)
		if !exists {
			return "", "", errNotFound("SLB", id)
		}
		if !internal {
			return "", "", errIllegal("TrafficMirrorTargetId", "The param of TrafficMirrorTargetId is illegal: SLB instance %s is internet-facing; only internal-facing instances can be targets.", id)
		}
		return "SLB", id, nil
	}
	return "", "", errIllegal("TrafficMirrorTargetType", "The param of TrafficMirrorTargetType is illegal: %q is not NetworkInterface or SLB.", typ)
}

// checkENI checks that an ENI exists in the region and can be mirrored in
// its status: one being attached, detached, created or deleted is refused
// as the service refuses a write to an object in a transitional state.
func (c *call) checkENI(id string) error {
	n, ok := c.inv.lookup(c.region, id)
	if !ok {
		return errNotFound("NetworkInterface", id)
	}
	if !n.mirrorable() {
		return errStatus("NetworkInterface", id, n.Status)
	}
	return nil
}

// checkPriority refuses a session priority another session of the region
// holds (self may keep its own).
func (c *call) checkPriority(r *regionState, prio int, self string) error {
	if o := r.firstSession(func(o *session) bool { return o.ID != self && o.Priority == prio }); o != nil {
		return errDuplicate("Priority", "The priority %d is already used by traffic mirror session %s in region %s.", prio, o.ID, c.region)
	}
	return nil
}

// checkSources checks sources to add to a session that has have: they
// exist, are not given twice, fit the per-session quota and the
// per-source quota.
func (c *call) checkSources(r *regionState, self string, have, add []string) error {
	seen := map[string]bool{}
	for _, h := range have {
		seen[h] = true
	}
	for _, id := range add {
		if err := c.checkENI(id); err != nil {
			return err
		}
		if seen[id] {
			return errIllegal("TrafficMirrorSourceIds", "The param of TrafficMirrorSourceIds is illegal: %s is given twice or is already a source of the session.", id)
		}
		seen[id] = true
	}
	if q := c.s.lim.sourcesPerSession; len(have)+len(add) > q {
		return errQuota("TrafficMirrorSource", "A traffic mirror session has at most %d sources; it would have %d.", q, len(have)+len(add))
	}
	if q := c.s.lim.sessionsPerSource; q > 0 {
		for _, id := range add {
			n := 0
			for _, o := range r.Sessions {
				if o.ID == self {
					continue
				}
				for _, src := range o.SourceIDs {
					if src == id {
						n++
					}
				}
			}
			if n+1 > q {
				return errQuota("SessionsPerSource", "The network interface %s is already a source of %d traffic mirror sessions, the most allowed.", id, n)
			}
		}
	}
	return nil
}

// getSession finds a session and checks it is Created.
// writeSession starts a write to the session named by
// TrafficMirrorSessionId, which must be Created.
func (c *call) writeSession() (*session, error) {
	if err := c.beginWrite(); err != nil {
		return nil, err
	}
	return c.getSession()
}

func (c *call) getSession() (*session, error) {
	if err := c.p.required("TrafficMirrorSessionId"); err != nil {
		return nil, err
	}
	id := c.p.str("TrafficMirrorSessionId")
	s := c.rs().Sessions[id]
	if s == nil {
		return nil, errNotFound(typeSession, id)
	}
	c.touch(s.ID)
	if s.Status != statusCreated {
		return nil, errStatus(typeSession, id, s.Status)
	}
	return s, nil
}

func deleteSession(c *call) (any, error) {
	s, err := c.writeSession()
	if err != nil {
		return nil, err
	}
	if f := c.rs().Filters[s.FilterID]; f != nil && f.Status != statusCreated {
		return nil, errStatus(typeFilter, f.ID, f.Status)
	}
	s = c.mutSession(s)
	s.transition(statusDeleting, c.until())
	return struct{}{}, nil
}

func updateSession(c *call) (any, error) {
	s, err := c.writeSession()
	if err != nil {
		return nil, err
	}
	n := s.clone()
	r := c.rs()
	n.Name, n.Description = pick(c.p.str("TrafficMirrorSessionName"), s.Name), pick(c.p.str("TrafficMirrorSessionDescription"), s.Description)
	if err := checkText("TrafficMirrorSessionName", n.Name, 128); err != nil {
		return nil, err
	}
	if err := checkText("TrafficMirrorSessionDescription", n.Description, 256); err != nil {
		return nil, err
	}
	if id := c.p.str("TrafficMirrorFilterId"); id != "" && id != s.FilterID {
		f, err := c.getFilter("TrafficMirrorFilterId", false)
		if err != nil {
			return nil, err
		}
		n.FilterID = f.ID
	}
	typ, id := c.p.str("TrafficMirrorTargetType"), c.p.str("TrafficMirrorTargetId")
	if typ != "" || id != "" {
		if n.TargetType, n.TargetID, err = c.checkTarget(pick(typ, s.TargetType), pick(id, s.TargetID)); err != nil {
			return nil, err
		}
	}
	if v, ok, err := c.p.optInt("Priority", 1, maxSessionPriority, false); err != nil {
		return nil, err
	} else if ok {
		// Terraform re-sends the session's own priority on every update.
		if err := c.checkPriority(r, v, s.ID); err != nil {
			return nil, err
		}
		n.Priority = v
	}
	if v, ok, err := c.p.optInt("VirtualNetworkId", 0, maxVNI, false); err != nil {
		return nil, err
	} else if ok {
		n.VNI = v
	}
	if v, ok, err := c.p.optInt("PacketLength", 64, 9600, false); err != nil {
		return nil, err
	} else if ok {
		n.PacketLength = v
	}
	if v, ok, err := c.p.optBool("Enabled"); err != nil {
		return nil, err
	} else if ok {
		n.Enabled = v
	}
	n.transition(statusModifying, c.until())
	c.st.putSession(c.region, n)
	return struct{}{}, nil
}

func pick(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func sourceList(c *call) ([]string, error) {
	ids, err := c.p.list("TrafficMirrorSourceIds")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errMissing("TrafficMirrorSourceIds")
	}
	if len(ids) > maxSourcesPerCall {
		return nil, errIllegal("TrafficMirrorSourceIds", "The param of TrafficMirrorSourceIds is illegal: at most %d sources per call.", maxSourcesPerCall)
	}
	return ids, nil
}

func addSources(c *call) (any, error) {
	s, err := c.writeSession()
	if err != nil {
		return nil, err
	}
	ids, err := sourceList(c)
	if err != nil {
		return nil, err
	}
	if err := c.checkSources(c.rs(), s.ID, s.SourceIDs, ids); err != nil {
		return nil, err
	}
	s = c.mutSession(s)
	s.SourceIDs = append(s.SourceIDs, ids...)
	s.transition(statusModifying, c.until())
	return struct{}{}, nil
}

func removeSources(c *call) (any, error) {
	s, err := c.writeSession()
	if err != nil {
		return nil, err
	}
	ids, err := sourceList(c)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, id := range ids {
		found := false
		for _, h := range s.SourceIDs {
			found = found || h == id
		}
		if !found || drop[id] {
			return nil, errIllegal("TrafficMirrorSourceIds", "The param of TrafficMirrorSourceIds is illegal: %s is not a source of session %s.", id, s.ID)
		}
		drop[id] = true
	}
	// A session may be left with no source: Terraform removes every old
	// source before adding the new ones.
	s = c.mutSession(s)
	kept := []string{}
	for _, h := range s.SourceIDs {
		if !drop[h] {
			kept = append(kept, h)
		}
	}
	s.SourceIDs = kept
	s.transition(statusModifying, c.until())
	return struct{}{}, nil
}

type sessionJSON struct {
	TrafficMirrorSessionId             string
	TrafficMirrorSessionName           string
	TrafficMirrorSessionDescription    string
	TrafficMirrorSessionStatus         string
	TrafficMirrorSessionBusinessStatus string
	TrafficMirrorFilterId              string
	TrafficMirrorSourceIds             []string
	TrafficMirrorTargetId              string
	TrafficMirrorTargetType            string
	Priority                           int
	VirtualNetworkId                   int
	PacketLength                       int
	Enabled                            bool
	ResourceGroupId                    string
	CreationTime                       string
	Tags                               []tagJSON
}

func listSessions(c *call) (any, error) {
	if err := c.needRegion(); err != nil {
		return nil, err
	}
	ids, err := idFilter(c.p, "TrafficMirrorSessionIds")
	if err != nil {
		return nil, err
	}
	tags, err := parseTags(c.p, "Tags", 20)
	if err != nil {
		return nil, err
	}
	prio, hasPrio, err := c.p.optInt("Priority", 1, maxSessionPriority, false)
	if err != nil {
		return nil, err
	}
	vni, hasVNI, err := c.p.optInt("VirtualNetworkId", 0, maxVNI, false)
	if err != nil {
		return nil, err
	}
	enabled, hasEnabled, err := c.p.optBool("Enabled")
	if err != nil {
		return nil, err
	}
	name, rg := c.p.str("TrafficMirrorSessionName"), c.p.str("ResourceGroupId")
	fid, src, tgt := c.p.str("TrafficMirrorFilterId"), c.p.str("TrafficMirrorSourceId"), c.p.str("TrafficMirrorTargetId")
	var match []*session
	var cursors []int64
	for _, s := range c.st.peekRegion(c.region).sortedSessions() {
		switch {
		case !s.visible(c.now):
		case ids != nil && !ids[s.ID]:
		case name != "" && s.Name != name:
		case rg != "" && s.ResourceGroupID != rg:
		case fid != "" && s.FilterID != fid:
		case tgt != "" && s.TargetID != tgt:
		case src != "" && !contains(s.SourceIDs, src):
		case hasPrio && s.Priority != prio:
		case hasVNI && s.VNI != vni:
		case hasEnabled && s.Enabled != enabled:
		case !tagsMatch(s.Tags, tags):
		default:
			match = append(match, s)
			cursors = append(cursors, s.Seq)
		}
	}
	pg, err := c.paginate("s", cursors, 10, 100)
	if err != nil {
		return nil, err
	}
	items := match[pg.from:pg.to]
	return deferred(func() any {
		out := struct {
			TotalCount            string
			NextToken             string
			TrafficMirrorSessions []sessionJSON
		}{strconv.Itoa(len(match)), pg.next, make([]sessionJSON, 0, len(items))}
		for _, s := range items {
			out.TrafficMirrorSessions = append(out.TrafficMirrorSessions, sessionJSON{
				TrafficMirrorSessionId: s.ID, TrafficMirrorSessionName: s.Name,
				TrafficMirrorSessionDescription: s.Description, TrafficMirrorSessionStatus: s.Status,
				TrafficMirrorSessionBusinessStatus: "Normal", TrafficMirrorFilterId: s.FilterID,
				TrafficMirrorSourceIds: append([]string{}, s.SourceIDs...), TrafficMirrorTargetId: s.TargetID,
				TrafficMirrorTargetType: s.TargetType, Priority: s.Priority, VirtualNetworkId: s.VNI,
				PacketLength: s.PacketLength, Enabled: s.Enabled, ResourceGroupId: s.ResourceGroupID,
				CreationTime: creationTime(s.Created), Tags: tagsJSON(s.Tags),
			})
		}
		return out
	}), nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
