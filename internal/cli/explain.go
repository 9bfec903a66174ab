package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/traffic"
	"github.com/tmsync/tmsync/internal/views"
)

// explainOptions are the flags of tmsync explain.
type explainOptions struct {
	paths  []string
	filter string // a filter key, or with live a tmf- ID
	stack  string
	live   bool
	format string
	// endpoint is what --live reads live state from.
	endpoint endpointOptions
	// rawPacket and rawDir are the flags as given; check parses them into
	// packet and dirs.
	rawPacket, rawDir string
	packet            traffic.Packet
	dirs              []string
}

func explainCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "explain",
		Usage:     "say which rule decides a packet and whether it is mirrored",
		ArgsUsage: "[PATH...]",
		Description: `Decides one packet by a filter's rules as the service does: the rules of a
   direction, smallest priority number first; the first that matches the packet's
   protocol, addresses and (for TCP and UDP) ports decides it: accept mirrors it,
   drop does not, and a packet no rule matches is not mirrored. It shows each rule
   tried and why it did not match. Against the spec by default; with --live,
   against the filter as it is in the cloud (reading live state as plan does).

   A packet is written as tcpdump prints one: 'tcp 10.1.2.3:5555 > 10.0.0.5:443',
   'udp [2001:db8::1]:53 > [2001:db8::2]:53', 'icmp 10.1.2.3 > 10.0.0.5', or
   'other 10.1.2.3 > 10.0.0.5' (or a protocol number, such as 47) for any other
   protocol, which only ALL rules match.

Examples:
   tmsync explain -f specs/ --filter web --packet 'tcp 10.1.2.3:5555 > 10.0.0.5:443' --direction ingress
   tmsync explain -f specs/ --filter web --packet 'udp 10.0.0.5:5353 > 8.8.8.8:53' --live
   tmsync explain -f specs/ --filter web --packet 'icmp 10.1.2.3 > 10.0.0.5' --format json

Exit codes:
   0  the packet was decided, mirrored or not
   1  any error (invalid spec or packet, no such filter, live state unreadable)`,
		Flags: append([]ucli.Flag{
			specFlag(),
			&ucli.StringFlag{Name: "filter", Usage: "the filter: its `KEY` in the spec (with --live, a tmf- ID too)"},
			&ucli.StringFlag{Name: "packet", Usage: "the `PACKET`, such as 'tcp 10.1.2.3:5555 > 10.0.0.5:443'"},
			&ucli.StringFlag{Name: "direction", Value: "both", Usage: "`DIRECTION` to decide it in: ingress, egress or both"},
			&ucli.StringFlag{Name: "stack", Usage: "the stack `NAME`, when several given have the filter"},
			&ucli.BoolFlag{Name: "live", Usage: "decide by the filter's rules as they are live, not as the spec has them"},
			&ucli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
		}, endpointFlags()...),
		Action: func(c *ucli.Context) error {
			o := explainOptions{
				paths:     append(c.StringSlice("file"), c.Args().Slice()...),
				filter:    strings.TrimSpace(c.String("filter")),
				stack:     c.String("stack"),
				rawPacket: c.String("packet"),
				rawDir:    c.String("direction"),
				live:      c.Bool("live"),
				format:    c.String("format"),
				endpoint:  endpointOptionsFrom(c),
			}
			if err := o.check(); err != nil {
				return err
			}
			return runExplain(c.Context, o, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func (o *explainOptions) check() error {
	if o.stack != "" {
		if err := checkStackFlag(o.stack); err != nil {
			return err
		}
	}
	if o.filter == "" {
		return withHint(errors.New("no filter given"), "name it with --filter KEY")
	}
	if strings.TrimSpace(o.rawPacket) == "" {
		return withHint(errors.New("no packet given"), "write it with --packet, such as --packet 'tcp 10.1.2.3:5555 > 10.0.0.5:443'")
	}
	p, err := traffic.ParsePacket(o.rawPacket)
	if err != nil {
		return withHint(err, "write it as tcpdump does: 'tcp 10.1.2.3:5555 > 10.0.0.5:443', 'icmp 10.1.2.3 > 10.0.0.5'")
	}
	o.packet = p
	switch o.rawDir {
	case "both", "":
		o.dirs = []string{cloud.Ingress, cloud.Egress}
	case cloud.Ingress, cloud.Egress:
		o.dirs = []string{o.rawDir}
	default:
		return withHint(fmt.Errorf("unknown --direction %q", o.rawDir), "use ingress, egress or both")
	}
	if o.format != "text" && o.format != "json" {
		return withHint(fmt.Errorf("unknown --format %q", o.format), "use --format text or --format json")
	}
	if o.live {
		return o.endpoint.validate()
	}
	// Without --live the endpoint only says which regions the spec may
	// name, as with validate; one plan would refuse is refused here too.
	return checkEndpoint(o.endpoint.Endpoint)
}

// An explanation is what explain found, as --format json writes it.
type explanation struct {
	Packet     string         `json:"packet"`
	Stack      string         `json:"stack"`
	Filter     string         `json:"filter"`
	From       string         `json:"from"` // spec or live
	FilterID   string         `json:"filterId,omitempty"`
	Directions []explainedDir `json:"directions"`
}

type explainedDir struct {
	Direction string `json:"direction"`
	Mirrored  bool   `json:"mirrored"`
	// DecidedBy is the rule that decides the packet; nil when none matches.
	DecidedBy *explainedRule `json:"decidedBy"`
	// Rules are the rules tried, in order, up to the one that decides.
	Rules []explainedRule `json:"rules"`
}

type explainedRule struct {
	Priority int    `json:"priority"`
	Action   string `json:"action"`
	Rule     string `json:"rule"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	ID       string `json:"id,omitempty"`
	Match    bool   `json:"match"`
	// Miss is the first field that keeps the rule from matching.
	Miss string `json:"miss,omitempty"`
}

// where names a rule for people: file:line in the spec, its ID live.
func (r explainedRule) where() string {
	if r.File != "" {
		return fmt.Sprintf("%s:%d", r.File, r.Line)
	}
	return r.ID
}

func runExplain(ctx context.Context, o explainOptions, stdout, stderr io.Writer) error {
	// As validate does, the spec is checked for the endpoint given: any
	// but Alibaba Cloud's own takes any region ID.
	stacks, err := loadStacks(o.paths, o.endpoint.Endpoint, stderr)
	if err != nil {
		return err
	}
	st, f, err := explainTarget(stacks, o)
	if err != nil {
		return err
	}
	ex := explanation{Packet: o.packet.String(), Stack: st.Name, From: "spec"}
	rules := map[string][]explainedRule{}
	var lists map[string][]cloud.Rule
	if o.live {
		lf, err := liveFilter(ctx, st, f, o)
		if err != nil {
			return err
		}
		ex.FilterID = lf.ID
		ex.From = "live"
		c := cloud.CanonicalLiveFilter(*lf)
		lists = map[string][]cloud.Rule{cloud.Ingress: c.Ingress, cloud.Egress: c.Egress}
		for dir, rs := range lists {
			for _, r := range rs {
				rules[dir] = append(rules[dir], explainedRule{Priority: r.Priority, Action: r.Action, ID: r.ID})
			}
		}
	} else {
		lists = map[string][]cloud.Rule{}
		for _, dir := range []string{cloud.Ingress, cloud.Egress} {
			for _, r := range f.Rules(dir) {
				lists[dir] = append(lists[dir], r.Rule)
				rules[dir] = append(rules[dir], explainedRule{Priority: r.Priority, Action: r.Action, File: r.Pos.File, Line: r.Pos.Line})
			}
		}
	}
	ex.Filter = plan.FilterAddr(f.Key).String()
	if f.Key == "" {
		ex.Filter = ex.FilterID
	}
	for _, dir := range o.dirs {
		d, err := explainDirection(dir, lists[dir], rules[dir], o.packet)
		if err != nil {
			return fmt.Errorf("%s %s: %w", ex.Filter, dir, err)
		}
		ex.Directions = append(ex.Directions, d)
	}
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(ex)
	}
	writeExplanation(stdout, ex, st.Region)
	return nil
}

// explainDirection decides p by the rules of one direction. labels holds
// each rule's place, in the order of rs.
func explainDirection(dir string, rs []cloud.Rule, labels []explainedRule, p traffic.Packet) (explainedDir, error) {
	out := explainedDir{Direction: dir, Rules: []explainedRule{}}
	c, err := traffic.Compile(rs)
	if err != nil {
		return out, err
	}
	decided, mirrored := c.Decide(p)
	out.Mirrored = mirrored
	for i := 0; i < c.Len(); i++ {
		r, at := c.Rule(i)
		l := labels[at]
		l.Rule = views.RuleText(r)
		l.Miss = c.Miss(i, p)
		l.Match = l.Miss == ""
		out.Rules = append(out.Rules, l)
		if i == decided {
			out.DecidedBy = &l
			break
		}
	}
	return out, nil
}

func writeExplanation(w io.Writer, ex explanation, region string) {
	what := ex.Filter + " of stack " + ex.Stack + ", as the spec has it"
	if ex.From == "live" {
		what = ex.Filter + " (" + ex.FilterID + ") of stack " + ex.Stack + ", as it is live in " + region
	}
	fmt.Fprintf(w, "%s against %s:\n", ex.Packet, what)
	for _, d := range ex.Directions {
		switch {
		case len(d.Rules) == 0:
			fmt.Fprintf(w, "%s: not mirrored: the direction has no rules\n", d.Direction)
		case d.DecidedBy == nil:
			fmt.Fprintf(w, "%s: not mirrored: no rule matches it, and a packet no rule matches is not mirrored\n", d.Direction)
		case d.Mirrored:
			fmt.Fprintf(w, "%s: mirrored: the rule of priority %d (%s) accepts it\n", d.Direction, d.DecidedBy.Priority, d.DecidedBy.where())
		default:
			fmt.Fprintf(w, "%s: not mirrored: the rule of priority %d (%s) drops it\n", d.Direction, d.DecidedBy.Priority, d.DecidedBy.where())
		}
		for _, r := range d.Rules {
			verdict := "match"
			if !r.Match {
				verdict = "no match (" + r.Miss + ")"
			}
			fmt.Fprintf(w, "  priority %d (%s): %s: %s\n", r.Priority, r.where(), r.Rule, verdict)
		}
	}
}

// explainTarget finds the stack and the filter of the spec explain is
// about. With --live, a tmf- ID names a filter the spec need not have: the
// returned filter then has no key.
func explainTarget(stacks []*spec.Stack, o explainOptions) (*spec.Stack, *spec.Filter, error) {
	var cands []*spec.Stack
	for _, st := range stacks {
		if o.stack == "" || st.Name == o.stack {
			cands = append(cands, st)
		}
	}
	if len(cands) == 0 {
		return nil, nil, withHint(fmt.Errorf("no stack %q in the spec", o.stack), "name one of the stacks given with -f")
	}
	type hit struct {
		st *spec.Stack
		f  *spec.Filter
	}
	var hits []hit
	for _, st := range cands {
		for _, f := range st.Filters {
			if f.Key == o.filter || (o.live && f.ID != "" && f.ID == o.filter) {
				hits = append(hits, hit{st, f})
			}
		}
	}
	switch {
	case len(hits) == 1:
		return hits[0].st, hits[0].f, nil
	case len(hits) > 1:
		var names []string
		for _, h := range hits {
			names = append(names, h.st.Name)
		}
		return nil, nil, withHint(fmt.Errorf("filter %s is in stacks %s", o.filter, strings.Join(names, ", ")),
			"name one with --stack NAME")
	case o.live && strings.HasPrefix(o.filter, "tmf-") && len(cands) == 1:
		return cands[0], &spec.Filter{ID: o.filter}, nil
	}
	var keys []string
	for _, st := range cands {
		for _, f := range st.Filters {
			keys = append(keys, f.Key)
		}
	}
	sort.Strings(keys)
	hint := "the spec has no filters"
	if len(keys) > 0 {
		hint = "filters of the spec: " + strings.Join(keys, ", ")
	}
	return nil, nil, withHint(fmt.Errorf("no filter %q in the spec", o.filter), "%s", hint)
}

// liveFilter reads live state as plan does and returns the live filter of
// spec filter f of stack st: the one its id names, or the one the stack
// owns under f's key (tags, renames included), leaving out owned
// duplicates the plan deletes.
func liveFilter(ctx context.Context, st *spec.Stack, f *spec.Filter, o explainOptions) (*cloud.Filter, error) {
	ro := runOptions{endpoint: o.endpoint}
	runs := ro.engine(false).Drift(ctx, []*spec.Stack{st}, nil)
	r := runs[0]
	if r.Snapshot == nil {
		return nil, hinted(r.Err)
	}
	snap := r.Snapshot
	if f.ID != "" {
		if lf := snap.Filter(f.ID); lf != nil {
			return lf, nil
		}
		return nil, fmt.Errorf("filter %s is not in region %s", f.ID, st.Region)
	}
	dropped := map[string]bool{}
	if r.Plan != nil {
		for _, c := range r.Plan.Changes {
			if c.Addr.Kind == plan.KindFilter && c.Action == plan.Delete {
				dropped[c.ID] = true
			}
		}
	}
	keys := map[string]bool{f.Key: true}
	for _, m := range st.Moved {
		if m.To == plan.FilterAddr(f.Key).String() {
			if a, err := plan.ParseAddr(m.From); err == nil && a.Kind == plan.KindFilter {
				keys[a.Key] = true
			}
		}
	}
	stacks := map[string]bool{st.Name: true}
	for _, p := range st.PreviousStacks {
		stacks[p] = true
	}
	var found []*cloud.Filter
	for i := range snap.Filters {
		lf := &snap.Filters[i]
		if stacks[lf.Tags[cloud.TagStack]] && keys[lf.Tags[cloud.TagKey]] && !dropped[lf.ID] {
			found = append(found, lf)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, withHint(fmt.Errorf("filter.%s of stack %s is not live in %s", f.Key, st.Name, st.Region),
			"tmsync plan shows it created; explain it against the spec without --live")
	}
	var ids []string
	for _, lf := range found {
		ids = append(ids, lf.ID)
	}
	return nil, withHint(fmt.Errorf("stack %s owns %d filters with key %s: %s", st.Name, len(found), f.Key, strings.Join(ids, ", ")),
		"name one with --filter ID")
}
