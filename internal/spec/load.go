package spec

import (
	"cmp"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/tmsync/tmsync/internal/addr"
	"github.com/tmsync/tmsync/internal/cloud"
)

// MaxUserTags is how many tags a user may put on one object: the API allows
// 20 and tmsync adds its 3 ownership tags (contract C3).
const MaxUserTags = 17

// Load reads the spec files and directories in paths and returns their
// stacks, sorted by name, validated and with defaults applied. Directories
// are walked recursively for *.yaml and *.yml files; a YAML file found that
// way without a stack, filters or sessions key is not a spec and is skipped.
//
// On any problem Load returns no stacks and a Diagnostics error holding
// every problem found. A stack's region must be an Alibaba Cloud region;
// use LoadWith to load a spec for another endpoint.
func Load(paths []string) ([]*Stack, error) {
	return LoadWith(paths, LoadOptions{})
}

// LoadOptions change what LoadWith checks.
type LoadOptions struct {
	// AnyRegion accepts any well-formed region ID: the spec is for an
	// endpoint other than Alibaba Cloud's (the emulator, a private or new
	// endpoint), which may serve regions Alibaba Cloud does not have.
	AnyRegion bool
}

// LoadWith is Load with options.
func LoadWith(paths []string, o LoadOptions) ([]*Stack, error) {
	var d diags
	files := collect(paths, &d)
	var specs []*file
	// used records the -f arguments that yielded a file that is not
	// skipped: a directory of CI workflows only is an error (C1).
	used := map[string]bool{}
	for _, f := range files {
		if f.read(&d) {
			specs = append(specs, f)
		}
		if !f.skipped {
			used[f.arg] = true
		}
	}
	for _, f := range files {
		if !used[f.arg] {
			used[f.arg] = true
			d.add(Pos{File: f.arg}, "a spec file has a stack: key; YAML files without one are skipped",
				"no tmsync spec files in this directory")
		}
	}
	sch, err := compiledSchema()
	if err != nil {
		return nil, fmt.Errorf("embedded schema: %w", err)
	}
	for _, f := range specs {
		checkSchema(f, sch, &d)
	}
	stacks := buildStacks(specs, &d)
	if !o.AnyRegion {
		checkRegionIDs(stacks, &d)
	}
	checkRegions(stacks, &d)
	if len(d.list) > 0 {
		return nil, d.list.sorted()
	}
	out := make([]*Stack, len(stacks))
	for i, b := range stacks {
		out[i] = b.st
	}
	return out, nil
}

// A builder assembles one stack from its files.
type builder struct {
	st    *Stack
	files []*file
	d     *diags
	// set records where each stack-level field was first set, so a file
	// that disagrees can name it.
	set      map[string]fieldAt
	filters  map[string]Pos
	sessions map[string]Pos
	refs     []sessionRef
}

type fieldAt struct {
	value any
	pos   Pos
}

type sessionRef struct {
	s *Session
	f *file
	p string
	// srcAt is where each source is written.
	srcAt map[string]Pos
}

// buildStacks groups files by stack and builds each, sorted by name.
func buildStacks(files []*file, d *diags) []*builder {
	byName := map[string]*builder{}
	for _, f := range files {
		// A name the schema refused still groups the file, so the rest of
		// it gets checked in the same run.
		name, ok := f.value["stack"].(string)
		if !ok {
			continue
		}
		b := byName[name]
		if b == nil {
			b = &builder{
				st:       &Stack{Name: name, Filters: []*Filter{}, Sessions: []*Session{}},
				d:        d,
				set:      map[string]fieldAt{},
				filters:  map[string]Pos{},
				sessions: map[string]Pos{},
			}
			byName[name] = b
		}
		b.files = append(b.files, f)
	}
	var out []*builder
	for _, name := range sortedKeys(byName) {
		b := byName[name]
		sort.Slice(b.files, func(i, j int) bool { return b.files[i].path < b.files[j].path })
		b.build()
		out = append(out, b)
	}
	return out
}

func (b *builder) build() {
	b.st.Pos = b.files[0].pos("/stack")
	var total int64
	for _, f := range b.files {
		b.st.Files = append(b.st.Files, f.path)
		total += f.size
	}
	if total > lim.stackBytes {
		b.d.add(Pos{File: b.files[0].path}, "split the stack into several stacks",
			"stack %s: its files add up to more than %s", b.st.Name, byteSize(lim.stackBytes))
		return
	}
	for _, f := range b.files {
		b.stackFields(f)
	}
	b.st.Limits.SourcesPerSession = DefaultSourcesPerSession
	b.st.Version = integer(b.set["version"].value)
	b.st.Region, _ = b.set["region"].value.(string)
	b.st.Profile, _ = b.set["profile"].value.(string)
	b.st.ResourceGroupID, _ = b.set["resourceGroupId"].value.(string)
	if at, ok := b.set["tags"]; ok {
		b.st.Tags = b.tags(at.value, b.fileOf(at.pos), "/tags")
	}
	if at, ok := b.set["service"]; ok {
		b.st.Service = &Service{Enabled: true, Pos: at.pos}
	}
	if at, ok := b.set["limits"]; ok {
		l, _ := at.value.(map[string]any)
		if n := integer(l["sourcesPerSession"]); n > 0 {
			b.st.Limits.SourcesPerSession = n
		}
		b.st.Limits.SessionsPerSource = integer(l["sessionsPerSource"])
	}
	for _, f := range b.files {
		b.filtersOf(f)
	}
	for _, f := range b.files {
		b.sessionsOf(f)
		b.movesOf(f)
	}
	for _, r := range b.refs {
		b.checkRef(r)
	}
	sort.Slice(b.st.Filters, func(i, j int) bool { return b.st.Filters[i].Key < b.st.Filters[j].Key })
	sort.Slice(b.st.Sessions, func(i, j int) bool { return b.st.Sessions[i].Key < b.st.Sessions[j].Key })
}

// stackFields records the stack-level fields of f; a field set in several
// files must have the same value in each.
func (b *builder) stackFields(f *file) {
	for _, k := range []string{"version", "region", "profile", "tags", "resourceGroupId", "service", "limits"} {
		v, ok := f.value[k]
		if !ok || f.tainted("/"+k) {
			continue
		}
		at := f.pos("/" + k)
		first, seen := b.set[k]
		if !seen {
			b.set[k] = fieldAt{value: v, pos: at}
			continue
		}
		if reflect.DeepEqual(first.value, v) {
			continue
		}
		hint := fmt.Sprintf("set %s the same in every file of stack %s, or in one file only", k, b.st.Name)
		msg := fmt.Sprintf("%s differs from the value set at %s", k, first.pos)
		if s, ok := first.value.(string); ok {
			msg = fmt.Sprintf("%s %q differs from %q set at %s", k, v, s, first.pos)
		}
		if k == "region" {
			msg += "; a stack lives in one region"
			hint = fmt.Sprintf("use one region in every file of stack %s; for another region, use another stack name", b.st.Name)
		}
		b.d.add(f.pos("/"+k), hint, "%s", msg)
	}
}

func (b *builder) fileOf(p Pos) *file {
	for _, f := range b.files {
		if f.path == p.File {
			return f
		}
	}
	return b.files[0]
}

// The typed reads of values the schema has accepted: a field of another
// type was refused and left out, so it reads as absent. Only the fields the
// schema names are read; an unknown field, whatever its case, is refused by
// the schema and never read.

// integer is a whole number the schema accepted: YAML gives int64, or
// float64 for a number written as 1e3 or 3.0.
func integer(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case float64:
		return int(x)
	}
	return 0
}

// optString is the string at k, or nil when m has none.
func optString(m map[string]any, k string) *string {
	if s, ok := m[k].(string); ok {
		return &s
	}
	return nil
}

// optInt is the integer at k, or nil when m has none.
func optInt(m map[string]any, k string) *int {
	switch m[k].(type) {
	case int64, float64:
		n := integer(m[k])
		return &n
	}
	return nil
}

// optBool is the boolean at k, or nil when m has none.
func optBool(m map[string]any, k string) *bool {
	if b, ok := m[k].(bool); ok {
		return &b
	}
	return nil
}

// number is a port range written as a number, as the messages have always
// shown it: the shortest form of the float64 (1e+06 for 1000000).
func number(v any) any {
	if i, ok := v.(int64); ok {
		return float64(i)
	}
	return v
}

// tags checks a tags mapping at pointer p and returns it as cloud.Tags.
// Values are kept as written (env: 1 is "1").
func (b *builder) tags(v any, f *file, p string) cloud.Tags {
	m, _ := v.(map[string]any)
	out := cloud.Tags{}
	for _, k := range sortedKeys(m) {
		kp := ptr(p, k)
		if f.tainted(kp) {
			continue
		}
		lk := strings.ToLower(k)
		for _, prefix := range []string{"tmsync:", "acs:", "aliyun"} {
			if strings.HasPrefix(lk, prefix) {
				b.d.add(f.keyPos(kp), "rename the tag; tmsync: tags are tmsync's own and acs:/aliyun tags are the system's",
					"%s: tag key %q starts with the reserved prefix %q", display(p), k, prefix)
			}
		}
		if strings.Contains(lk, "http://") || strings.Contains(lk, "https://") {
			b.d.add(f.keyPos(kp), "remove the URL from the tag key", "%s: tag key %q contains a URL", display(p), k)
		}
		out[k] = scalarText(m[k], f.node(kp))
	}
	return out
}

// scalarText is a scalar as the user wrote it, so 1.10 stays "1.10".
func scalarText(v any, n *ynode) string {
	switch v := v.(type) {
	case nil: // key: with no value is the empty value the API allows
		return ""
	case string:
		return v
	}
	if n != nil {
		return n.Value
	}
	return fmt.Sprint(v)
}

// mergeTags returns the stack's tags overridden by the object's own.
func (b *builder) mergeTags(own cloud.Tags) cloud.Tags {
	if len(b.st.Tags) == 0 && len(own) == 0 {
		return nil
	}
	out := b.st.Tags.Clone()
	if out == nil {
		out = cloud.Tags{}
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

// object holds what filters and sessions share.
type object struct {
	Name            *string
	Description     *string
	Tags            map[string]any
	ResourceGroupID string
	Protect         bool
	ID              string
}

// objectOf reads the shared fields of a filter or session.
func objectOf(m map[string]any) object {
	o := object{Name: optString(m, "name"), Description: optString(m, "description")}
	o.Tags, _ = m["tags"].(map[string]any)
	o.ResourceGroupID, _ = m["resourceGroupId"].(string)
	o.Protect, _ = m["protect"].(bool)
	o.ID, _ = m["id"].(string)
	return o
}

// common checks the shared fields of the object at p and returns name,
// description and merged tags.
func (b *builder) common(f *file, p, kind, key string, o object) (name, desc string, tags cloud.Tags) {
	name = key
	for _, fld := range []struct {
		k   string
		v   *string
		out *string
	}{{"name", o.Name, &name}, {"description", o.Description, &desc}} {
		if fld.v == nil {
			continue
		}
		*fld.out = *fld.v
		l := strings.ToLower(*fld.v)
		if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			b.d.add(f.pos(ptr(p, fld.k)), "the API refuses such values; reword it without the URL at the start",
				"%s: must not start with http:// or https://", display(ptr(p, fld.k)))
		}
	}
	var own cloud.Tags
	if o.Tags != nil {
		own = b.tags(o.Tags, f, ptr(p, "tags"))
	}
	tags = b.mergeTags(own)
	if len(tags) > MaxUserTags {
		at := f.keyPos(p)
		if o.Tags != nil {
			at = f.pos(ptr(p, "tags"))
		}
		b.d.add(at, "remove tags here or among the stack's tags; tmsync adds 3 of its own to the API's 20",
			"%s: %d tags with the stack's tags; at most %d are allowed", display(ptr(p, "tags")), len(tags), MaxUserTags)
	}
	return name, desc, tags
}

// filtersOf builds the filters of f.
func (b *builder) filtersOf(f *file) {
	b.eachObject(f, "filter", b.filters, func(key, p string, at Pos, obj map[string]any) {
		raw := objectOf(clean(f, p, obj))
		flt := &Filter{Key: key, ResourceGroupID: raw.ResourceGroupID, Protect: raw.Protect, ID: raw.ID, Pos: at}
		flt.Name, flt.Description, flt.Tags = b.common(f, p, "filter", key, raw)
		if flt.ResourceGroupID == "" {
			flt.ResourceGroupID = b.st.ResourceGroupID
		}
		flt.Ingress = b.rules(f, ptr(p, cloud.Ingress), cloud.Ingress, obj[cloud.Ingress])
		flt.Egress = b.rules(f, ptr(p, cloud.Egress), cloud.Egress, obj[cloud.Egress])
		b.st.Filters = append(b.st.Filters, flt)
	})
}

// eachObject calls fn for each object of kind ("filter" or "session") in f,
// in key order, after refusing a key defined twice in the stack (seen holds
// the keys met so far and where).
func (b *builder) eachObject(f *file, kind string, seen map[string]Pos, fn func(key, p string, at Pos, obj map[string]any)) {
	m, _ := f.value[kind+"s"].(map[string]any)
	for _, key := range sortedKeys(m) {
		p := ptr("/"+kind+"s", key)
		at := f.keyPos(p)
		if first, dup := seen[key]; dup {
			b.d.add(at, "rename one of them; keys are unique within a stack",
				"%s %s is already defined at %s", kind, key, first)
			continue
		}
		seen[key] = at
		if obj, ok := m[key].(map[string]any); ok {
			fn(key, p, at, obj)
		}
	}
}

// clean returns the fields of the object at p that the schema accepted: a
// field with a schema error is reported once, by the schema, and its
// object's other fields are still checked.
func clean(f *file, p string, obj map[string]any) map[string]any {
	if len(f.bad) == 0 && len(f.badKeys) == 0 {
		return obj
	}
	out := map[string]any{}
	for k, v := range obj {
		if !f.tainted(ptr(p, k)) {
			out[k] = v
		}
	}
	return out
}

type rawRule struct {
	Priority             int
	Action               string
	Protocol             string
	IPVersion            string
	SourceCidrBlock      string
	DestinationCidrBlock string
	SourcePortRange      any
	DestinationPortRange any
}

func ruleOf(v any) rawRule {
	m, _ := v.(map[string]any)
	r := rawRule{Priority: integer(m["priority"]),
		SourcePortRange: number(m["sourcePortRange"]), DestinationPortRange: number(m["destinationPortRange"])}
	r.Action, _ = m["action"].(string)
	r.Protocol, _ = m["protocol"].(string)
	r.IPVersion, _ = m["ipVersion"].(string)
	r.SourceCidrBlock, _ = m["sourceCidrBlock"].(string)
	r.DestinationCidrBlock, _ = m["destinationCidrBlock"].(string)
	return r
}

// rules checks the rules of one direction and returns them canonical,
// sorted by priority.
func (b *builder) rules(f *file, p, dir string, v any) []Rule {
	list, _ := v.([]any)
	var out []Rule
	if len(list) > 0 {
		out = make([]Rule, 0, len(list))
	}
	prio := make(map[int]Pos, len(list))
	items := f.seq(p)
	for i, item := range list {
		rp := ptr(p, i)
		if f.tainted(rp) {
			continue
		}
		raw := ruleOf(item)
		at := items.pos(i)
		if first, dup := prio[raw.Priority]; dup {
			b.d.add(f.pos(ptr(rp, "priority")), fmt.Sprintf("give each %s rule of the filter its own priority from 1 to 10", dir),
				"%s: priority %d is already used by the %s rule at line %d", display(rp), raw.Priority, dir, first.Line)
		} else {
			prio[raw.Priority] = at
		}
		r := cloud.Rule{Direction: dir, Priority: raw.Priority, Action: raw.Action, Protocol: raw.Protocol,
			IPVersion: raw.IPVersion, SourceCIDR: raw.SourceCidrBlock, DestCIDR: raw.DestinationCidrBlock}
		if r.IPVersion == "" {
			r.IPVersion = cloud.IPv4
		}
		ok := true
		for _, c := range []struct {
			field string
			val   string
		}{{"sourceCidrBlock", r.SourceCIDR}, {"destinationCidrBlock", r.DestCIDR}} {
			if c.val == "" {
				continue
			}
			if _, err := cloud.ParseCIDR(c.val, r.IPVersion, true); err != nil {
				b.d.add(f.pos(ptr(rp, c.field)), cidrHint(c.val, r.IPVersion), "%s: %v", display(ptr(rp, c.field)), err)
				ok = false
			}
		}
		for _, c := range []struct {
			field string
			val   any
			out   *string
		}{{"sourcePortRange", raw.SourcePortRange, &r.SourcePort}, {"destinationPortRange", raw.DestinationPortRange, &r.DestPort}} {
			if c.val == nil {
				continue
			}
			fp := ptr(rp, c.field)
			if !cloud.HasPorts(r.Protocol) {
				b.d.add(f.pos(fp), fmt.Sprintf("remove %s: %s rules match all ports; use protocol TCP or UDP to match ports", c.field, r.Protocol),
					"%s: %s rules have no ports", display(fp), r.Protocol)
				ok = false
				continue
			}
			s, isText := c.val.(string)
			if !isText {
				s = fmt.Sprint(c.val)
			}
			if _, err := cloud.ParsePortRange(s); err != nil {
				b.d.add(f.pos(fp), "write a port (443), a range start/end with 1 <= start <= end <= 65535 (8000/8080), or any",
					"%s: %v", display(fp), err)
				ok = false
				continue
			}
			*c.out = s
		}
		if !ok {
			continue
		}
		cr, err := cloud.CanonicalRule(r, true)
		if err != nil {
			b.d.add(at, "", "%s: %v", display(rp), err)
			continue
		}
		out = append(out, Rule{Rule: cr, Pos: at})
	}
	slices.SortStableFunc(out, func(a, b Rule) int { return cmp.Compare(a.Priority, b.Priority) })
	return out
}

// cidrHint says how to fix a CIDR that cloud.ParseCIDR refused.
func cidrHint(s, ipVersion string) string {
	pfx, err := netip.ParsePrefix(strings.TrimSpace(s))
	switch {
	case err != nil:
		return "write an address and prefix length, such as 10.0.0.0/8 or 2001:db8::/32"
	case pfx.Addr().Is4() != (ipVersion != cloud.IPv6) || pfx.Addr().Is4In6():
		other := cloud.IPv6
		if ipVersion == cloud.IPv6 {
			other = cloud.IPv4
		}
		return fmt.Sprintf("write an %s block, or set ipVersion: %s on the rule", ipVersion, other)
	}
	return fmt.Sprintf("write %s: the address must be the first of its block", pfx.Masked())
}

type rawSession struct {
	object
	Filter string
	Target struct {
		Type   string
		ID     string
		Select *rawSelector
	}
	// Sources holds the list form of sources; SourcesObject the object
	// form, nil when sources is a list or absent.
	Sources          []string
	SourcesObject    *rawSources
	Priority         int
	Split            *struct{ Priorities string }
	Enabled          *bool
	PacketLength     int
	VirtualNetworkID *int
}

func sessionOf(m map[string]any) rawSession {
	s := rawSession{object: objectOf(m), Priority: integer(m["priority"]), Enabled: optBool(m, "enabled"),
		PacketLength: integer(m["packetLength"]), VirtualNetworkID: optInt(m, "virtualNetworkId")}
	s.Filter, _ = m["filter"].(string)
	if t, ok := m["target"].(map[string]any); ok {
		s.Target.Type, _ = t["type"].(string)
		s.Target.ID, _ = t["id"].(string)
		if sel, ok := t["select"].(map[string]any); ok {
			r := selectorOf(sel)
			s.Target.Select = &r
		}
	}
	switch src := m["sources"].(type) {
	case []any:
		s.Sources = textList(src)
	case map[string]any:
		rs := &rawSources{IDs: textList(src["ids"]), Exclude: textList(src["exclude"])}
		rs.IncludeSecondary, _ = src["includeSecondary"].(bool)
		list, _ := src["select"].([]any)
		for _, item := range list {
			sel, _ := item.(map[string]any)
			rs.Select = append(rs.Select, selectorOf(sel))
		}
		s.SourcesObject = rs
	}
	if sp, ok := m["split"].(map[string]any); ok {
		s.Split = &struct{ Priorities string }{}
		s.Split.Priorities, _ = sp["priorities"].(string)
	}
	return s
}

// textList is a list of strings the schema accepted; nil when v is none.
func textList(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		s, _ := item.(string)
		out = append(out, s)
	}
	return out
}

// rawSources is the object form of sources.
type rawSources struct {
	IDs              []string
	Select           []rawSelector
	Exclude          []string
	IncludeSecondary bool
}

type rawSelector struct {
	Tags            map[string]any
	VPCID           string
	VSwitchID       string
	InstanceIDs     []string
	SecurityGroupID string
}

func selectorOf(m map[string]any) rawSelector {
	r := rawSelector{InstanceIDs: textList(m["instanceIds"])}
	r.Tags, _ = m["tags"].(map[string]any)
	r.VPCID, _ = m["vpcId"].(string)
	r.VSwitchID, _ = m["vSwitchId"].(string)
	r.SecurityGroupID, _ = m["securityGroupId"].(string)
	return r
}

// selector returns the selector written at pointer p of f.
func (r rawSelector) selector(f *file, p string) Selector {
	sel := Selector{VPCID: r.VPCID, VSwitchID: r.VSwitchID, InstanceIDs: r.InstanceIDs,
		SecurityGroupID: r.SecurityGroupID, Pos: f.pos(p)}
	if len(r.Tags) > 0 {
		sel.Tags = cloud.Tags{}
		for k, v := range r.Tags {
			sel.Tags[k] = scalarText(v, f.node(ptr(p, "tags", k)))
		}
	}
	return sel
}

// sessionsOf builds the sessions of f; their filter references are checked
// once every file's filters are known.
func (b *builder) sessionsOf(f *file) {
	b.eachObject(f, "session", b.sessions, func(key, p string, at Pos, obj map[string]any) {
		raw := sessionOf(clean(f, p, obj))
		s := &Session{
			Key: key, TargetType: raw.Target.Type, TargetID: raw.Target.ID,
			Priority: raw.Priority, Enabled: true, PacketLength: cloud.DefaultPacketLength,
			VNI: raw.VirtualNetworkID, ResourceGroupID: raw.ResourceGroupID, Protect: raw.Protect,
			ID: raw.ID, Pos: at,
		}
		s.Name, s.Description, s.Tags = b.common(f, p, "session", key, raw.object)
		if s.ResourceGroupID == "" {
			s.ResourceGroupID = b.st.ResourceGroupID
		}
		if raw.Enabled != nil {
			s.Enabled = *raw.Enabled
		}
		if raw.PacketLength != 0 {
			s.PacketLength = raw.PacketLength
		}
		if strings.HasPrefix(raw.Filter, "tmf-") {
			s.FilterID = raw.Filter
		} else {
			s.Filter = raw.Filter
		}
		ids := raw.Sources
		if rs := raw.SourcesObject; rs != nil {
			ids = rs.IDs
			for i, sel := range rs.Select {
				s.Select = append(s.Select, sel.selector(f, ptr(p, "sources", "select", i)))
			}
			s.Exclude = append([]string(nil), rs.Exclude...)
			sort.Strings(s.Exclude)
			s.IncludeSecondary = rs.IncludeSecondary
		}
		if raw.Target.Select != nil {
			sel := raw.Target.Select.selector(f, ptr(p, "target", "select"))
			s.TargetSelect = &sel
		}
		_, hasPriority := obj["priority"]
		b.split(f, p, s, hasPriority, raw)
		srcAt := b.sources(f, p, s, ids)
		if _, ok := obj["target"]; ok {
			b.target(f, p, s)
		}
		b.st.Sessions = append(b.st.Sessions, s)
		b.refs = append(b.refs, sessionRef{s: s, f: f, p: p, srcAt: srcAt})
	})
}

func (b *builder) sources(f *file, p string, s *Session, srcs []string) map[string]Pos {
	sp := ptr(p, "sources")
	seen := make(map[string]Pos, len(srcs))
	items := f.seq(sp)
	for i, src := range srcs {
		at := items.pos(i)
		if first, dup := seen[src]; dup {
			b.d.add(at, "remove the duplicate",
				"%s: source %s is already listed at %d:%d", display(sp), src, first.Line, first.Col)
			continue
		}
		seen[src] = at
		s.Sources = append(s.Sources, src)
	}
	if n, max := len(srcs), b.st.Limits.SourcesPerSession; n > max && s.Split == nil {
		b.d.add(f.pos(sp), "split the sources over several sessions, or raise limits.sourcesPerSession if your account allows more",
			"%s: %d sources, but limits.sourcesPerSession is %d", display(sp), n, max)
	}
	sort.Strings(s.Sources)
	return seen
}

// split reads the priority range of a session group, or checks that a
// session that is no group has a priority.
func (b *builder) split(f *file, p string, s *Session, hasPriority bool, raw rawSession) {
	if raw.Split == nil {
		if !hasPriority {
			b.d.add(f.keyPos(p), "add priority: to "+display(p)+", or split: {priorities: FROM-TO} to make the session a group",
				"%smissing field %q", lead(p), "priority")
		}
		return
	}
	sp := ptr(p, "split", "priorities")
	from, to, _ := strings.Cut(raw.Split.Priorities, "-")
	lo, err1 := strconv.Atoi(from)
	hi, err2 := strconv.Atoi(to)
	switch {
	case err1 != nil || err2 != nil || lo < 1 || hi > 32766 || lo > hi:
		b.d.add(f.pos(sp), "write a range FROM-TO with 1 <= FROM <= TO <= 32766, such as 100-149",
			"%s: %q is not a priority range", display(sp), raw.Split.Priorities)
		return
	case raw.Priority != 0:
		b.d.add(f.pos(ptr(p, "priority")), "a group takes its priorities from split.priorities: remove priority",
			"%s: priority and split are both given", display(ptr(p, "priority")))
	case len(s.Select) == 0:
		b.d.add(f.pos(ptr(p, "split")), "split a session whose sources have select: a listed set fits sessions you write yourself",
			"%s: split needs sources.select", display(ptr(p, "split")))
	}
	s.Split = &Split{From: lo, To: hi}
}

func (b *builder) target(f *file, p string, s *Session) {
	tp := ptr(p, "target", "id")
	switch {
	case s.TargetSelect != nil && s.TargetID != "":
		b.d.add(f.pos(tp), "give the target either by id or by select", "%s: target has both id and select", display(ptr(p, "target")))
	case s.TargetSelect == nil && s.TargetID == "" && !f.tainted(ptr(p, "target")):
		b.d.add(f.pos(ptr(p, "target")), "add target.id, or target.select to choose the ENI by tags", "%s: target needs id or select", display(ptr(p, "target")))
	case s.TargetSelect != nil && s.TargetType != cloud.TargetENI:
		b.d.add(f.pos(ptr(p, "target", "select")), "select chooses ENIs: use type NetworkInterface, or give the SLB by id",
			"%s: select needs target.type NetworkInterface", display(ptr(p, "target", "select")))
	}
	want := "eni-"
	if s.TargetType == cloud.TargetSLB {
		want = "lb-"
	}
	if s.TargetID != "" && !strings.HasPrefix(s.TargetID, want) {
		b.d.add(f.pos(tp), fmt.Sprintf("with target.type %s the ID starts with %s; fix the ID or target.type", s.TargetType, want),
			"%s: %s does not fit target.type %s", display(tp), s.TargetID, s.TargetType)
	}
	for _, src := range s.Sources {
		if src == s.TargetID {
			b.d.add(f.pos(tp), "mirror to a collector ENI that is not one of the sources",
				"%s: the target %s is also a source of the session", display(tp), src)
		}
	}
}

func (b *builder) checkRef(r sessionRef) {
	if r.s.Filter == "" {
		return
	}
	if _, ok := b.filters[r.s.Filter]; ok {
		return
	}
	hint := fmt.Sprintf("define filters.%s in a file of stack %s, or give the tmf- ID of a filter managed elsewhere", r.s.Filter, b.st.Name)
	if c := closest(r.s.Filter, sortedKeys(b.filters)); c != "" {
		hint = fmt.Sprintf("did you mean %s? filters of stack %s: %s", c, b.st.Name, strings.Join(sortedKeys(b.filters), ", "))
	}
	fp := ptr(r.p, "filter")
	b.d.add(r.f.pos(fp), hint, "%s: filter %s is not defined in stack %s", display(fp), r.s.Filter, b.st.Name)
}

// movesOf reads moved and previousStacks of f.
func (b *builder) movesOf(f *file) {
	if list, ok := f.value["moved"].([]any); ok {
		for i, item := range list {
			mp := ptr("/moved", i)
			if f.tainted(mp) {
				continue
			}
			var m Move
			fields, _ := item.(map[string]any)
			m.From, _ = fields["from"].(string)
			m.To, _ = fields["to"].(string)
			m.Pos = f.pos(mp)
			from, _ := addr.Parse(m.From)
			to, _ := addr.Parse(m.To)
			switch {
			case from.Kind != to.Kind:
				b.d.add(f.pos(ptr(mp, "to")), "a move keeps the kind: filter.a to filter.b or session.a to session.b",
					"moved[%d]: %s cannot move to %s", i, m.From, m.To)
			case m.From == m.To:
				b.d.add(f.pos(ptr(mp, "to")), "remove the entry", "moved[%d]: %s moves to itself", i, m.From)
			}
			for _, o := range b.st.Moved {
				if o.From == m.From {
					b.d.add(f.pos(ptr(mp, "from")), "keep one move per address", "moved[%d]: %s is already moved at %s", i, m.From, o.Pos)
				} else if o.To == m.To {
					b.d.add(f.pos(ptr(mp, "to")), "keep one move per address", "moved[%d]: %s is already the target of the move at %s", i, m.To, o.Pos)
				}
			}
			b.st.Moved = append(b.st.Moved, m)
		}
	}
	if list, ok := f.value["previousStacks"].([]any); ok {
		for i, item := range list {
			name, ok := item.(string)
			if !ok || f.tainted(ptr("/previousStacks", i)) {
				continue
			}
			if name == b.st.Name {
				b.d.add(f.pos(ptr("/previousStacks", i)), "remove it; list only former names of the stack",
					"previousStacks[%d]: %s is this stack's own name", i, name)
				continue
			}
			if !contains(b.st.PreviousStacks, name) {
				b.st.PreviousStacks = append(b.st.PreviousStacks, name)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkRegions checks what is unique per account and region across all
// stacks given: session priorities, adopted IDs, and sessions per source.
func checkRegions(stacks []*builder, d *diags) {
	type owner struct {
		what string
		pos  Pos
	}
	type regionKey struct{ region, key string }
	var refs []sessionRef
	stackOf := map[*Session]*builder{}
	for _, b := range stacks {
		for _, r := range b.refs {
			refs = append(refs, r)
			stackOf[r.s] = b
		}
	}
	// Earlier positions own a value, so the later duplicate is reported.
	sort.Slice(refs, func(i, j int) bool { return posLess(refs[i].s.Pos, refs[j].s.Pos) })
	prio := map[regionKey]owner{}
	perSource := map[regionKey]int{}
	for _, r := range refs {
		b := stackOf[r.s]
		for _, src := range r.s.Sources {
			perSource[regionKey{b.st.Region, src}]++
		}
		if r.s.Priority == 0 { // refused by the schema
			continue
		}
		who := fmt.Sprintf("session %s of stack %s", r.s.Key, b.st.Name)
		k := regionKey{b.st.Region, strconv.Itoa(r.s.Priority)}
		if o, dup := prio[k]; dup {
			pp := ptr(r.p, "priority")
			d.add(r.f.pos(pp), "session priorities are unique per account and region; pick a free one",
				"%s: priority %d is already used by %s at %s", display(pp), r.s.Priority, o.what, o.pos)
		} else {
			prio[k] = owner{who, r.f.pos(ptr(r.p, "priority"))}
		}
	}
	ids := map[regionKey]owner{}
	for _, b := range stacks {
		for _, f := range b.st.Filters {
			if f.ID == "" {
				continue
			}
			k := regionKey{b.st.Region, f.ID}
			if o, dup := ids[k]; dup {
				d.add(f.Pos, "adopt each filter once", "filter %s: %s is already adopted by %s at %s", f.Key, f.ID, o.what, o.pos)
			} else {
				ids[k] = owner{fmt.Sprintf("filter %s of stack %s", f.Key, b.st.Name), f.Pos}
			}
		}
	}
	for _, r := range refs {
		b := stackOf[r.s]
		if r.s.ID != "" {
			k := regionKey{b.st.Region, r.s.ID}
			if o, dup := ids[k]; dup {
				d.add(r.s.Pos, "adopt each session once", "session %s: %s is already adopted by %s at %s", r.s.Key, r.s.ID, o.what, o.pos)
			} else {
				ids[k] = owner{fmt.Sprintf("session %s of stack %s", r.s.Key, b.st.Name), r.s.Pos}
			}
		}
		max := b.st.Limits.SessionsPerSource
		if max == 0 {
			continue
		}
		for _, src := range r.s.Sources {
			if n := perSource[regionKey{b.st.Region, src}]; n > max {
				d.add(r.srcAt[src], "mirror this source in fewer sessions, or raise limits.sessionsPerSource if your account allows more",
					"%s: source %s is in %d sessions of region %s; limits.sessionsPerSource is %d",
					display(ptr(r.p, "sources")), src, n, b.st.Region, max)
			}
		}
	}
}

func posLess(a, b Pos) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}
