package emulator

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

const maxRulesPerDirection = 10

var directions = []struct{ dir, prefix string }{{"ingress", "IngressRules"}, {"egress", "EgressRules"}}

func createFilter(c *call) (any, error) {
	if err := c.beginWrite(); err != nil {
		return nil, err
	}
	name, desc := c.p.str("TrafficMirrorFilterName"), c.p.str("TrafficMirrorFilterDescription")
	if err := checkText("TrafficMirrorFilterName", name, 128); err != nil {
		return nil, err
	}
	if err := checkText("TrafficMirrorFilterDescription", desc, 256); err != nil {
		return nil, err
	}
	tags, err := parseTags(c.p, "Tag", 20)
	if err != nil {
		return nil, err
	}
	r := c.rs()
	if q := c.s.lim.filtersPerRegion; q >= 0 && len(r.Filters) >= q {
		return nil, errQuota("TrafficMirrorFilter", "The number of traffic mirror filters in region %s has reached the quota of %d.", c.region, q)
	}
	f := &filter{
		object:          c.newObject(),
		ID:              c.newID("tmf-"),
		Name:            name,
		Description:     desc,
		ResourceGroupID: c.p.str("ResourceGroupId"),
		Tags:            tags,
	}
	if f.ResourceGroupID == "" {
		f.ResourceGroupID = c.st.DefaultResourceGroup
	}
	for _, d := range directions {
		rules, err := c.parseRules(f, d.dir, d.prefix)
		if err != nil {
			return nil, err
		}
		for _, ru := range rules {
			ru.Status, ru.Until = statusCreating, f.Until
		}
		f.setRules(d.dir, rules)
		c.created(typeRule, len(rules))
	}
	c.st.putFilter(c.region, f)
	c.touch(f.ID)
	c.created(typeFilter, 1)
	return struct {
		TrafficMirrorFilterId string
		ResourceGroupId       string
	}{f.ID, f.ResourceGroupID}, nil
}

// getFilter finds a filter and, unless any is allowed, checks it is Created.
func (c *call) getFilter(param string, anyStatus bool) (*filter, error) {
	if err := c.p.required(param); err != nil {
		return nil, err
	}
	id := c.p.str(param)
	f := c.rs().Filters[id]
	if f == nil {
		return nil, errNotFound(typeFilter, id)
	}
	if !anyStatus && f.Status != statusCreated {
		return nil, errStatus(typeFilter, id, f.Status)
	}
	return f, nil
}

// writeFilter starts a write to the filter named by TrafficMirrorFilterId
// and records it in the write log; anyStatus lets a transitional filter
// through, for the calls that check its state themselves.
func (c *call) writeFilter(anyStatus bool) (*filter, error) {
	if err := c.beginWrite(); err != nil {
		return nil, err
	}
	f, err := c.getFilter("TrafficMirrorFilterId", anyStatus)
	if err != nil {
		return nil, err
	}
	c.touch(f.ID)
	return f, nil
}

func deleteFilter(c *call) (any, error) {
	f, err := c.writeFilter(true)
	if err != nil {
		return nil, err
	}
	if err := f.ruleBusy(""); err != nil {
		return nil, err
	}
	if s := c.rs().firstSession(func(s *session) bool { return s.FilterID == f.ID }); s != nil {
		return nil, newErr(400, "DependencyViolation.TrafficMirrorSession", "The specified filter %s is in use by traffic mirror session %s.", f.ID, s.ID)
	}
	until := c.until()
	f = c.mutFilter(f)
	f.transition(statusDeleting, until)
	for _, d := range directions {
		for _, ru := range f.rules(d.dir) {
			ru.Status, ru.Until = statusDeleting, until
		}
	}
	return struct{}{}, nil
}

func updateFilter(c *call) (any, error) {
	f, err := c.writeFilter(false)
	if err != nil {
		return nil, err
	}
	name, desc := c.p.str("TrafficMirrorFilterName"), c.p.str("TrafficMirrorFilterDescription")
	if err := checkText("TrafficMirrorFilterName", name, 128); err != nil {
		return nil, err
	}
	if err := checkText("TrafficMirrorFilterDescription", desc, 256); err != nil {
		return nil, err
	}
	f = c.mutFilter(f)
	if name != "" {
		f.Name = name
	}
	if desc != "" {
		f.Description = desc
	}
	f.transition(statusModifying, c.until())
	return struct{}{}, nil
}

func createRules(c *call) (any, error) {
	f, err := c.writeFilter(false)
	if err != nil {
		return nil, err
	}
	type idJSON struct{ InstanceId string }
	out := struct {
		IngressRules []idJSON
		EgressRules  []idJSON
	}{[]idJSON{}, []idJSON{}}
	until := c.until()
	total := 0
	f = c.mutFilter(f)
	for _, d := range directions {
		rules, err := c.parseRules(f, d.dir, d.prefix)
		if err != nil {
			return nil, err
		}
		for _, ru := range rules {
			ru.Status, ru.Until = statusCreating, until
			c.touch(ru.ID)
			if d.dir == "ingress" {
				out.IngressRules = append(out.IngressRules, idJSON{ru.ID})
			} else {
				out.EgressRules = append(out.EgressRules, idJSON{ru.ID})
			}
		}
		f.setRules(d.dir, append(f.rules(d.dir), rules...))
		total += len(rules)
	}
	if total == 0 {
		return nil, newErr(400, "MissingIngressRules", "IngressRules or EgressRules is mandatory for this action.")
	}
	// A filter and its rules are one unit: the filter is Modifying while
	// its rules change.
	f.transition(statusModifying, until)
	c.created(typeRule, total)
	return out, nil
}

func deleteRules(c *call) (any, error) {
	f, err := c.writeFilter(true)
	if err != nil {
		return nil, err
	}
	ids, err := c.p.list("TrafficMirrorFilterRuleIds")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errMissing("TrafficMirrorFilterRuleIds")
	}
	until := c.until()
	f = c.mutFilter(f)
	var hit []*rule
	for _, id := range ids {
		var found *rule
		for _, d := range directions {
			for _, ru := range f.rules(d.dir) {
				if ru.ID == id {
					found = ru
				}
			}
		}
		if found == nil {
			return nil, errNotFound(typeRule, id)
		}
		if err := f.ruleBusy(id); err != nil {
			return nil, err
		}
		hit = append(hit, found)
	}
	for _, ru := range hit {
		ru.Status, ru.Until = statusDeleting, until
		c.touch(ru.ID)
	}
	f.transition(statusModifying, until)
	return struct{}{}, nil
}

func updateRule(c *call) (any, error) {
	if err := c.beginWrite(); err != nil {
		return nil, err
	}
	if err := c.p.required("TrafficMirrorFilterRuleId"); err != nil {
		return nil, err
	}
	id := c.p.str("TrafficMirrorFilterRuleId")
	f, ru := c.rs().findRule(id)
	if ru == nil {
		return nil, errNotFound(typeRule, id)
	}
	c.touch(f.ID, ru.ID)
	if err := f.ruleBusy(ru.ID); err != nil {
		return nil, err
	}
	n := *ru
	if v := c.p.str("RuleAction"); v != "" {
		a, ok := ruleAction(v)
		if !ok {
			return nil, errIllegal("RuleAction", "The param of RuleAction is illegal: %q is not accept or drop.", v)
		}
		n.Action = a
	}
	if v := c.p.str("Protocol"); v != "" {
		pr, ok := ruleProtocol(v)
		if !ok {
			return nil, errIllegal("Protocol", "The param of Protocol is illegal: %q is not ALL, ICMP, TCP or UDP.", v)
		}
		n.Protocol = pr
	}
	prio, hasPrio, err := c.p.optInt("Priority", 1, maxRulesPerDirection, true)
	if err != nil {
		return nil, err
	}
	if hasPrio {
		n.Priority = prio
		if c.s.lim.uniqueRulePriorities {
			for _, o := range f.rules(ru.Direction) {
				if o.ID != ru.ID && o.Priority == prio {
					return nil, errDuplicate("Priority", "The priority %d is already used by rule %s of filter %s (%s).", prio, o.ID, f.ID, ru.Direction)
				}
			}
		}
	}
	for _, cp := range []struct {
		param string
		dst   *string
	}{{"SourceCidrBlock", &n.SourceCIDR}, {"DestinationCidrBlock", &n.DestCIDR}} {
		if v := c.p.str(cp.param); v != "" {
			if err := checkCIDR(cp.param, v, n.IPVersion); err != nil {
				return nil, err
			}
			*cp.dst = v
		}
	}
	for _, pp := range []struct {
		param string
		dst   *string
	}{{"SourcePortRange", &n.SourcePort}, {"DestinationPortRange", &n.DestPort}} {
		v := c.p.str(pp.param)
		switch {
		case n.Protocol == "ICMP" && v != "" && v != "-1/-1":
			return nil, errIllegal(pp.param, "The param of %s is illegal: the port range of an ICMP rule cannot be changed.", pp.param)
		case n.Protocol == "ALL" || n.Protocol == "ICMP":
			*pp.dst = "-1/-1"
		case v != "":
			if err := checkPorts(pp.param, v); err != nil {
				return nil, err
			}
			*pp.dst = v
		}
	}
	n.Status, n.Until = statusModifying, c.until()
	f = c.mutFilter(f)
	for _, d := range directions {
		for _, r := range f.rules(d.dir) {
			if r.ID == n.ID {
				*r = n
			}
		}
	}
	f.transition(statusModifying, n.Until)
	return struct{}{}, nil
}

// ruleBusy refuses a change to a filter's rules (or the filter) while
// anything of the unit is in transition. A filter being created or deleted
// answers for itself; otherwise a rule in transition answers
// IncorrectStatus.TrafficMirrorRule (rule ID "" means any rule), as
// Terraform's retry lists expect.
func (f *filter) ruleBusy(ruleID string) error {
	if f.Status == statusCreating || f.Status == statusDeleting {
		return errStatus(typeFilter, f.ID, f.Status)
	}
	for _, d := range directions {
		for _, ru := range f.rules(d.dir) {
			if ru.Status != statusCreated && (ruleID == "" || ru.ID == ruleID) {
				return errStatus(typeRule, ru.ID, ru.Status)
			}
		}
	}
	if f.Status != statusCreated {
		return errStatus(typeFilter, f.ID, f.Status)
	}
	return nil
}

func ruleAction(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "accept":
		return "accept", true
	case "drop":
		return "drop", true
	}
	return "", false
}

func ruleProtocol(v string) (string, bool) {
	switch u := strings.ToUpper(v); u {
	case "ALL", "ICMP", "TCP", "UDP":
		return u, true
	}
	return "", false
}

var portRE = regexp.MustCompile(`^(-1/-1|\d{1,5}/\d{1,5})$`)

func checkPorts(param, v string) error {
	if !portRE.MatchString(v) {
		return errIllegal(lastSegment(param), "The param of %s is illegal: %q is not start/end.", param, v)
	}
	if v == "-1/-1" {
		return nil
	}
	a, b, _ := strings.Cut(v, "/")
	lo, _ := strconv.Atoi(a)
	hi, _ := strconv.Atoi(b)
	if lo < 1 || hi > 65535 || lo > hi {
		return errIllegal(lastSegment(param), "The param of %s is illegal: %q must satisfy 1 <= start <= end <= 65535.", param, v)
	}
	return nil
}

func checkCIDR(param, v, ipVersion string) error {
	pfx, err := netip.ParsePrefix(v)
	if err != nil {
		return errIllegal(lastSegment(param), "The param of %s is illegal: %q is not a CIDR block.", param, v)
	}
	is4 := pfx.Addr().Is4()
	if (ipVersion == "IPv4") != is4 {
		return errIllegal(lastSegment(param), "The param of %s is illegal: %q is not an %s CIDR block.", param, v, ipVersion)
	}
	return nil
}

// parseRules reads the rules of one direction for filter f, checking every
// rule of §5.3 against the rules f already has.
func (c *call) parseRules(f *filter, dir, prefix string) ([]*rule, error) {
	es, err := c.p.structs(prefix)
	if err != nil {
		return nil, err
	}
	existing := f.rules(dir)
	if len(existing)+len(es) > maxRulesPerDirection {
		return nil, errQuota("TrafficMirrorRule", "A filter has at most %d %s rules: it has %d and %d more were given.", maxRulesPerDirection, dir, len(existing), len(es))
	}
	used := map[int]string{}
	for _, ru := range existing {
		used[ru.Priority] = ru.ID
	}
	var out []*rule
	var auto []*rule
	for _, e := range es {
		ru := &rule{Direction: dir}
		v := e.fields["Action"]
		if v == "" {
			return nil, errMissing(e.name("Action"))
		}
		a, ok := ruleAction(v)
		if !ok {
			return nil, errIllegal("Action", "The param of %s is illegal: %q is not accept or drop.", e.name("Action"), v)
		}
		ru.Action = a
		v = e.fields["Protocol"]
		if v == "" {
			return nil, errMissing(e.name("Protocol"))
		}
		pr, ok := ruleProtocol(v)
		if !ok {
			return nil, errIllegal("Protocol", "The param of %s is illegal: %q is not ALL, ICMP, TCP or UDP.", e.name("Protocol"), v)
		}
		ru.Protocol = pr
		switch v := strings.ToLower(e.fields["IpVersion"]); v {
		case "", "ipv4":
			ru.IPVersion = "IPv4"
		case "ipv6":
			ru.IPVersion = "IPv6"
		default:
			return nil, errIllegal("IpVersion", "The param of %s is illegal: %q is not IPv4 or IPv6.", e.name("IpVersion"), e.fields["IpVersion"])
		}
		anyCIDR := "0.0.0.0/0"
		if ru.IPVersion == "IPv6" {
			anyCIDR = "::/0"
		}
		for _, cp := range []struct {
			field string
			dst   *string
		}{{"SourceCidrBlock", &ru.SourceCIDR}, {"DestinationCidrBlock", &ru.DestCIDR}} {
			v := e.fields[cp.field]
			if v == "" {
				*cp.dst = anyCIDR
				continue
			}
			if err := checkCIDR(e.name(cp.field), v, ru.IPVersion); err != nil {
				return nil, err
			}
			*cp.dst = v
		}
		for _, pp := range []struct {
			field string
			dst   *string
		}{{"SourcePortRange", &ru.SourcePort}, {"DestinationPortRange", &ru.DestPort}} {
			v := e.fields[pp.field]
			// ALL and ICMP rules cover every port; the service reports -1/-1.
			if ru.Protocol == "ALL" || ru.Protocol == "ICMP" || v == "" {
				*pp.dst = "-1/-1"
				continue
			}
			if err := checkPorts(e.name(pp.field), v); err != nil {
				return nil, err
			}
			*pp.dst = v
		}
		// Terraform sends Priority=0 for an unset priority: treat it as
		// absent and give the rule the lowest free priority below.
		prio := 0
		if v := e.fields["Priority"]; v != "" && v != "0" {
			n, err := parseInt(e.name("Priority"), v, 1, maxRulesPerDirection)
			if err != nil {
				return nil, err
			}
			prio = n
		}
		ru.Priority = prio
		if prio == 0 {
			auto = append(auto, ru)
		} else if holder, taken := used[prio]; taken && c.s.lim.uniqueRulePriorities {
			if holder == "" {
				holder = "another rule of this request"
			}
			return nil, errDuplicate("Priority", "The priority %d of %s is already used by %s in the %s rules of filter %s.", prio, e.name("Priority"), holder, dir, f.ID)
		} else {
			used[prio] = ""
		}
		out = append(out, ru)
	}
	for _, ru := range auto {
		for p := 1; p <= maxRulesPerDirection; p++ {
			if _, taken := used[p]; !taken {
				ru.Priority = p
				used[p] = ""
				break
			}
		}
		if ru.Priority == 0 {
			ru.Priority = maxRulesPerDirection
		}
	}
	for _, ru := range out {
		ru.ID = c.newID("tmr-")
	}
	return out, nil
}

type ruleJSON struct {
	TrafficMirrorFilterRuleId     string
	TrafficMirrorFilterId         string
	TrafficDirection              string
	Priority                      int
	Action                        string
	Protocol                      string
	SourceCidrBlock               string
	DestinationCidrBlock          string
	SourcePortRange               string
	DestinationPortRange          string
	IpVersion                     string
	TrafficMirrorFilterRuleStatus string
}

type filterJSON struct {
	TrafficMirrorFilterId          string
	TrafficMirrorFilterName        string
	TrafficMirrorFilterDescription string
	TrafficMirrorFilterStatus      string
	ResourceGroupId                string
	CreationTime                   string
	Tags                           []tagJSON
	IngressRules                   []ruleJSON
	EgressRules                    []ruleJSON
}

func rulesJSON(f *filter, dir string) []ruleJSON {
	out := []ruleJSON{}
	for _, ru := range f.rules(dir) {
		out = append(out, ruleJSON{
			TrafficMirrorFilterRuleId: ru.ID, TrafficMirrorFilterId: f.ID, TrafficDirection: dir,
			Priority: ru.Priority, Action: ru.Action, Protocol: ru.Protocol,
			SourceCidrBlock: ru.SourceCIDR, DestinationCidrBlock: ru.DestCIDR,
			SourcePortRange: ru.SourcePort, DestinationPortRange: ru.DestPort,
			IpVersion: ru.IPVersion, TrafficMirrorFilterRuleStatus: ru.Status,
		})
	}
	return out
}

func listFilters(c *call) (any, error) {
	if err := c.needRegion(); err != nil {
		return nil, err
	}
	ids, err := idFilter(c.p, "TrafficMirrorFilterIds")
	if err != nil {
		return nil, err
	}
	tags, err := parseTags(c.p, "Tags", 20)
	if err != nil {
		return nil, err
	}
	name, rg := c.p.str("TrafficMirrorFilterName"), c.p.str("ResourceGroupId")
	var match []*filter
	var cursors []int64
	for _, f := range c.st.peekRegion(c.region).sortedFilters() {
		switch {
		case !f.visible(c.now):
		case ids != nil && !ids[f.ID]:
		case name != "" && f.Name != name:
		case rg != "" && f.ResourceGroupID != rg:
		case !tagsMatch(f.Tags, tags):
		default:
			match = append(match, f)
			cursors = append(cursors, f.Seq)
		}
	}
	pg, err := c.paginate("f", cursors, 10, 100)
	if err != nil {
		return nil, err
	}
	items := match[pg.from:pg.to]
	return deferred(func() any {
		out := struct {
			TotalCount           string
			Count                int
			MaxResults           int
			NextToken            string
			TrafficMirrorFilters []filterJSON
		}{strconv.Itoa(len(match)), pg.to - pg.from, pg.maxResults, pg.next, make([]filterJSON, 0, len(items))}
		for _, f := range items {
			out.TrafficMirrorFilters = append(out.TrafficMirrorFilters, filterJSON{
				TrafficMirrorFilterId: f.ID, TrafficMirrorFilterName: f.Name,
				TrafficMirrorFilterDescription: f.Description, TrafficMirrorFilterStatus: f.Status,
				ResourceGroupId: f.ResourceGroupID, CreationTime: creationTime(f.Created),
				Tags: tagsJSON(f.Tags), IngressRules: rulesJSON(f, "ingress"), EgressRules: rulesJSON(f, "egress"),
			})
		}
		return out
	}), nil
}
